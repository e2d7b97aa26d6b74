package io.alignstream.app;

import io.alignstream.learner.Learner;
import io.alignstream.model.Example;
import io.alignstream.model.Sample;
import io.alignstream.model.SamplingConfig;
import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.TrainingBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * The streaming loop's work done with direct calls instead of Kafka topics: sample K responses per
 * prompt with the learner's current policy (sampler), score them and the demonstrations with its
 * reward ensemble (rewarder), group them per prompt (batching) and update (learner). It yields the
 * same records the services exchange, so it measures what the architecture costs and lets recipes
 * be tried quickly; it is not a second implementation of the algorithm.
 */
final class InProcessLoop {
  /** A demonstration as text; {@code response} is null for a prompt given without one. */
  record Demo(String prompt, String response) {}

  private final Learner learner;
  private final int samplesPerPrompt;
  private final SamplingConfig sampling;
  private final long seed;
  private int steps;

  InProcessLoop(Learner learner, int samplesPerPrompt, SamplingConfig sampling, long seed) {
    this.learner = learner;
    this.samplesPerPrompt = samplesPerPrompt;
    this.sampling = sampling;
    this.seed = seed;
  }

  /** One learner update from these prompts' demonstrations and K fresh samples each. */
  Learner.UpdateResult step(List<Demo> demos) {
    return update(batches(demos));
  }

  /** The learner half of {@link #step}: one update from batches this loop made with {@link #batches}. */
  Learner.UpdateResult update(List<TrainingBatch> batches) {
    steps++;
    return learner.update(batches);
  }

  /** The batches the services would deliver for these prompts. */
  List<TrainingBatch> batches(List<Demo> demos) {
    List<long[]> prompts = new ArrayList<>();
    List<Example> demoExamples = new ArrayList<>();
    List<Demo> kept = new ArrayList<>();
    for (Demo d : demos) {
      // A prompt without a demonstration stands as one with an empty (EOS-only) response: only its prompt is used.
      Example e = d.response() == null
          ? new Example(learner.tokenizer().encode(d.prompt()), new long[] {learner.tokenizer().eosId()})
          : learner.demonstration(d.prompt(), d.response());
      if (e == null) {
        continue;
      }
      kept.add(d);
      if (d.response() != null) {
        demoExamples.add(e);
      }
      for (int k = 0; k < samplesPerPrompt; k++) {
        prompts.add(e.prompt());
      }
    }
    List<Sample> samples = learner.policy().generate(prompts, sampling, seed + 7919L * steps);
    List<Example> generated = new ArrayList<>();
    for (int i = 0; i < samples.size(); i++) {
      long[] r = samples.get(i).responseIds();
      generated.add(new Example(prompts.get(i), r.length > 0 ? r : new long[] {learner.tokenizer().eosId()}));
    }
    var demoScores = learner.reward().score(demoExamples);
    var genScores = learner.reward().score(generated);
    List<TrainingBatch> out = new ArrayList<>();
    int row = 0;
    int d = 0;
    for (Demo demo : kept) {
      String promptId = ContentId.ofPrompt(demo.prompt());
      List<ScoredSample> group = new ArrayList<>();
      if (demo.response() != null) {
        group.add(scored(ContentId.ofDemonstration(demo.prompt(), demo.response()), SampleKind.DEMONSTRATION,
            promptId, demo, demoExamples.get(d), new float[0], "demonstration", -1, demoScores, d));
        d++;
      }
      for (int k = 0; k < samplesPerPrompt; k++, row++) {
        Sample s = samples.get(row);
        group.add(scored(promptId + "/" + steps + "/policy/" + k, SampleKind.GENERATION, promptId, demo,
            generated.get(row), s.logProbs(), "policy", s.policyVersion() >= 0 ? learner.version() : 0, genScores, row));
      }
      out.add(TrainingBatch.newBuilder().setId(promptId + "/" + steps + "/policy").setPromptId(promptId)
          .setRound(0).setSamples(group).setComplete(true).setCreatedAtMs(System.currentTimeMillis()).build());
    }
    return out;
  }

  private ScoredSample scored(String id, SampleKind kind, String promptId, Demo demo, Example e, float[] logProbs,
      String policyName, long version, io.alignstream.model.RewardEnsemble.Scores scores, int index) {
    List<Float> rewards = new ArrayList<>();
    for (double[] member : scores.perMember()) {
      rewards.add((float) member[index]);
    }
    List<Float> lps = new ArrayList<>();
    for (float lp : logProbs) {
      lps.add(lp);
    }
    return ScoredSample.newBuilder().setId(id).setKind(kind).setPromptId(promptId).setRound(0)
        .setPrompt(demo.prompt()).setResponse(kind == SampleKind.DEMONSTRATION ? demo.response()
            : learner.tokenizer().decode(e.response()))
        .setPromptTokenIds(ints(e.prompt())).setResponseTokenIds(ints(e.response())).setLogProbs(lps)
        .setPolicyName(policyName).setPolicyVersion(version).setRewards(rewards)
        .setRewardMean((float) scores.mean()[index]).setRewardStd((float) scores.std()[index])
        .setRewardModelVersion(learner.version()).setCreatedAtMs(System.currentTimeMillis())
        .setScoredAtMs(System.currentTimeMillis()).build();
  }

  private static List<Integer> ints(long[] ids) {
    List<Integer> out = new ArrayList<>(ids.length);
    for (long id : ids) {
      out.add((int) id);
    }
    return out;
  }
}
