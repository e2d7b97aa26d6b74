package io.alignstream.rewarder;

import io.alignstream.model.Example;
import io.alignstream.model.ModelConfig;
import io.alignstream.model.Tokenizer;
import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.TokenIds;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One demonstration or generation as the reward model sees it, and the {@link ScoredSample} it becomes.
 *
 * <p>A demonstration is tokenized with the reward model's tokenizer, its response ending with EOS
 * ({@link Tokenizer#responseIds}), exactly as the learner trains on it. A generation keeps the token
 * ids the sampler produced (EOS included only when it stopped at EOS), its log-probs, round and policy
 * stamp unchanged, so the learner's off-policy corrections see what the behaviour policy did.
 *
 * <p>Public because a replay ({@code alignstream replay}) scores recorded samples the same way.
 *
 * @param promptIds (promptLength) prompt token ids
 * @param responseIds (responseLength) response token ids, EOS included when the response finished
 * @param logProbs (responseLength) behaviour log-probs in nats; empty for demonstrations
 * @param policyVersion policy version of a generation; -1 for demonstrations
 */
public record ScoringInput(
    SampleKind kind,
    String id,
    String promptId,
    int round,
    String prompt,
    String response,
    long[] promptIds,
    long[] responseIds,
    float[] logProbs,
    String policyName,
    long policyVersion,
    long createdAtMs) {

  /** Policy name stamped on demonstrations. */
  static final String DEMONSTRATION_POLICY = "demonstration";

  public static ScoringInput of(Demonstration d, Tokenizer tokenizer) {
    return new ScoringInput(SampleKind.DEMONSTRATION, d.getId(), d.getPromptId(), 0, d.getPrompt(), d.getResponse(),
        tokenizer.encode(d.getPrompt()), tokenizer.responseIds(d.getResponse()), new float[0], DEMONSTRATION_POLICY,
        -1, d.getCreatedAtMs());
  }

  public static ScoringInput of(Generation g) {
    float[] logProbs = new float[g.getLogProbs().size()];
    for (int i = 0; i < logProbs.length; i++) {
      logProbs[i] = g.getLogProbs().get(i);
    }
    return new ScoringInput(SampleKind.GENERATION, g.getId(), g.getPromptId(), g.getRound(), g.getPrompt(),
        g.getResponse(), TokenIds.toArray(g.getPromptTokenIds()), TokenIds.toArray(g.getResponseTokenIds()), logProbs, g.getPolicyName(),
        g.getPolicyVersion(), g.getCreatedAtMs());
  }

  /** Why the model cannot score this input, or empty when it can. */
  public Optional<String> unfit(ModelConfig config) {
    Optional<String> tokens = config.unfit(promptIds, responseIds);
    if (tokens.isEmpty() && kind == SampleKind.GENERATION && logProbs.length != responseIds.length) {
      return Optional.of(logProbs.length + " log-probs for " + responseIds.length + " response tokens");
    }
    return tokens;
  }

  public Example example() {
    return new Example(promptIds, responseIds);
  }

  /**
   * @param rewards (members) each ensemble member's reward r = f(x, y) in nats
   * @param version version of the reward ensemble that produced them
   */
  public ScoredSample scored(double[] rewards, double mean, double std, long version, long scoredAtMs) {
    List<Float> r = new ArrayList<>(rewards.length);
    for (double v : rewards) {
      r.add((float) v);
    }
    List<Float> lp = new ArrayList<>(logProbs.length);
    for (float v : logProbs) {
      lp.add(v);
    }
    return ScoredSample.newBuilder()
        .setId(id)
        .setKind(kind)
        .setPromptId(promptId)
        .setRound(round)
        .setPrompt(prompt)
        .setResponse(response)
        .setPromptTokenIds(TokenIds.toList(promptIds))
        .setResponseTokenIds(TokenIds.toList(responseIds))
        .setLogProbs(lp)
        .setPolicyName(policyName)
        .setPolicyVersion(policyVersion)
        .setRewards(r)
        .setRewardMean((float) mean)
        .setRewardStd((float) std)
        .setRewardModelVersion(version)
        .setCreatedAtMs(createdAtMs)
        .setScoredAtMs(scoredAtMs)
        .build();
  }
}
