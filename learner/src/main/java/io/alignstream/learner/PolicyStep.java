package io.alignstream.learner;

import io.alignstream.learner.Recipe.PolicyObjective;
import io.alignstream.model.AdamW;
import io.alignstream.model.Example;
import io.alignstream.model.Objectives;
import io.alignstream.model.Policy;
import io.alignstream.model.PolicyTrainer;
import io.alignstream.model.PreferenceConfig;
import io.alignstream.model.PreferencePair;
import io.alignstream.model.StepStats;
import io.alignstream.schemas.ScoredSample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The policy's part of an update: one optimiser step of the recipe's objective. {@code sft} trains on
 * the demonstrations; the others rank each prompt's fresh samples by the discriminator, then either
 * distil the best of them (Best-of-N, {@link Objectives#bestOfNIndices}) or train on best-vs-worst
 * pairs (DPO, IPO, SLiC, with the behaviour policy as reference), importance-weighted against the
 * policy that sampled them.
 */
final class PolicyStep implements AutoCloseable {
  /** Other prompts each answer is scored under by {@link #contrast}. */
  static final int CONTRAST_PROMPTS = 4;
  private final Recipe recipe;
  private final Policy policy;
  private final Policy base;
  private final Policy anchor;
  private final PolicyTrainer trainer;

  /**
   * @param anchor π_SFT frozen, for the anchored ranking (else null; not owned)
   * @param optimizer the policy's optimiser in the loop (fresh, or from a checkpoint)
   */
  PolicyStep(Recipe recipe, Policy policy, Policy base, Policy anchor, AdamW optimizer) {
    if (recipe.ranking() == Recipe.Ranking.ANCHORED_LIKELIHOOD && anchor == null) {
      throw new IllegalArgumentException("the anchored ranking needs π_SFT (the learner keeps it from its SFT stage)");
    }
    this.recipe = recipe;
    this.policy = policy;
    this.base = base;
    this.anchor = anchor;
    this.trainer = new PolicyTrainer(policy, optimizer);
  }

  AdamW optimizer() {
    return trainer.optimizer();
  }

  /**
   * One step on {@code fresh} (the current policy's samples within the lag bound, not held out) and
   * {@code demos} (this update's demonstrations); puts its figures in {@code m}.
   *
   * @return the step's statistics, or null when there was nothing to train on
   */
  StepStats take(List<ScoredSample> fresh, List<Example> demos, Discriminator reward, Map<String, Double> m) {
    if (recipe.policyObjective() == PolicyObjective.SFT) {
      return demos.isEmpty() ? null : trainer.sftStep(demos);
    }
    if (fresh.isEmpty()) {
      return null;
    }
    List<Example> examples = fresh.stream().map(TrainingInput::example).toList();
    double[] behaviour = fresh.stream().mapToDouble(TrainingInput::behaviourLogProb).toArray();
    double[] current = policy.sequenceLogProbs(examples);
    double[] initial = base.sequenceLogProbs(examples);
    // Samples come from π_β ≈ π_θ: E_β[log π_β − log π_θ] estimates KL(π_β ‖ π_θ), E[log π_θ − log π_0] KL to π_0.
    m.put("kl.behaviour", Learner.mean(i -> behaviour[i] - current[i], examples.size()));
    m.put("kl.base", Learner.mean(i -> current[i] - initial[i], examples.size()));

    // The learner's own, freshest ensemble ranks the samples, conservatively: mean − spread, plus
    // the likelihood term of the expert-likelihood rankings (see Recipe.Ranking).
    var scores = reward.score(examples);
    double[] negativeLogProb;
    if (anchor != null) {
      negativeLogProb = anchor.sequenceLogProbs(examples);
      m.put("kl.sft", Learner.mean(i -> current[i] - negativeLogProb[i], examples.size()));
    } else {
      negativeLogProb = switch (recipe.discriminator().negative()) {
        case INIT_SAMPLES -> initial;
        // π_SFT is kept only for the anchored ranking; the current policy stands in (it starts as π_SFT).
        case SFT_SAMPLES -> current;
        default -> behaviour;
      };
    }
    double[] conservative = rankingScores(scores.mean(), scores.std(), negativeLogProb, recipe.ranking(),
        recipe.anchorWeight());
    Map<String, List<Integer>> byPrompt = new LinkedHashMap<>();
    for (int i = 0; i < fresh.size(); i++) {
      ScoredSample s = fresh.get(i);
      byPrompt.computeIfAbsent(s.getPromptId() + "/" + s.getRound(), k -> new ArrayList<>()).add(i);
    }
    if (recipe.contrastWeight() > 0) {
      double[] pmi = contrast(anchor, new ArrayList<>(byPrompt.values()), examples, negativeLogProb);
      m.put("policy.contrast_mean", Learner.mean(i -> pmi[i], pmi.length));
      for (int i = 0; i < conservative.length; i++) {
        conservative[i] += recipe.contrastWeight() * pmi[i];
      }
    }
    m.put("policy.ranked_score_mean", Learner.mean(i -> conservative[i], conservative.length));
    double[] weights = Objectives.truncatedImportanceWeights(current, behaviour, recipe.importanceCap());
    m.put("policy.importance_weight", Learner.mean(i -> weights[i], weights.length));
    List<List<Integer>> groups = new ArrayList<>(byPrompt.values());
    return recipe.policyObjective() == PolicyObjective.BEST_OF_N
        ? bestOfN(groups, examples, conservative, weights, demos)
        : preference(groups, examples, conservative, behaviour, demos, m);
  }

  /** Distils each prompt's best sample, weighted by its importance weight, and the demonstrations at {@code policy.demo_weight}. */
  private StepStats bestOfN(List<List<Integer>> groups, List<Example> examples, double[] conservative,
      double[] weights, List<Example> demos) {
    List<Objectives.CandidateGroup> candidates = new ArrayList<>();
    for (List<Integer> group : groups) {
      Example first = examples.get(group.get(0));
      candidates.add(new Objectives.CandidateGroup(first.prompt(),
          group.stream().map(i -> examples.get(i).response()).toList(),
          group.stream().mapToDouble(i -> conservative[i]).toArray()));
    }
    int[][] best = Objectives.bestOfNIndices(candidates, 1);
    List<Example> chosen = new ArrayList<>();
    List<Double> w = new ArrayList<>();
    for (int g = 0; g < groups.size(); g++) {
      int i = groups.get(g).get(best[g][0]);
      chosen.add(examples.get(i));
      w.add(weights[i]);
    }
    if (recipe.demoWeight() > 0) {
      demos.forEach(d -> {
        chosen.add(d);
        w.add(recipe.demoWeight());
      });
    }
    return trainer.sftStep(chosen, w.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /** A preference step on each prompt's best-vs-worst pair, then the demonstrations at {@code policy.demo_weight}. */
  private StepStats preference(List<List<Integer>> groups, List<Example> examples, double[] conservative,
      double[] behaviour, List<Example> demos, Map<String, Double> m) {
    List<PreferencePair> pairs = new ArrayList<>();
    for (List<Integer> group : groups) {
      if (group.size() < 2) {
        continue;
      }
      int best = group.stream().max(Comparator.comparingDouble(i -> conservative[i])).orElseThrow();
      int worst = group.stream().min(Comparator.comparingDouble(i -> conservative[i])).orElseThrow();
      if (conservative[best] > conservative[worst]) {
        // BPO: the reference is the behaviour policy that generated the pair, carried with the data.
        pairs.add(new PreferencePair(examples.get(best).prompt(), examples.get(best).response(),
            examples.get(worst).response(), behaviour[best], behaviour[worst]));
      }
    }
    if (pairs.isEmpty()) {
      return null;
    }
    var loss = switch (recipe.policyObjective()) {
      case DPO -> Objectives.PreferenceLoss.DPO;
      case IPO -> Objectives.PreferenceLoss.IPO;
      case SLIC -> Objectives.PreferenceLoss.SLIC;
      default -> throw new IllegalStateException("not a preference objective: " + recipe.policyObjective());
    };
    StepStats s = trainer.preferenceStep(pairs, new PreferenceConfig(loss, recipe.beta()));
    if (recipe.demoWeight() > 0 && !demos.isEmpty()) {
      double[] dw = new double[demos.size()];
      Arrays.fill(dw, recipe.demoWeight());
      m.put("policy.demo_loss", trainer.sftStep(demos, dw).loss());
    }
    return s;
  }

  /**
   * How much likelier π_SFT finds each answer under its own prompt than under {@link #CONTRAST_PROMPTS}
   * other prompts of the update: log π_SFT(y|x) − log mean_j π_SFT(y|x_j), a pointwise mutual information
   * against the batch's prompts (the domain-conditional PMI of Holtzman et al., 2021). A reward head on
   * the response's features hardly sees its prompt, so an answer of another kind's demonstrated form ("the
   * answer is 6 ." to a question about a capital) can look like a demonstration; it fits other prompts as
   * well as its own, and scores low here. So does every answer right for a whole class of prompts, such as
   * a refusal: on a dev seed the loop learned to comply with harmful requests, which is why
   * {@code policy.contrast_weight} is 0 by default. Pairs that would not fit the context are left out.
   *
   * @param groups indices into {@code examples}, one list per prompt
   * @param own log π_SFT(y|x) of each example
   */
  static double[] contrast(Policy anchor, List<List<Integer>> groups, List<Example> examples, double[] own) {
    int others = Math.min(CONTRAST_PROMPTS, groups.size() - 1);
    double[] out = new double[examples.size()];
    if (others < 1) {
      return out;
    }
    int context = anchor.config().contextLength();
    List<Example> elsewhere = new ArrayList<>();
    List<Integer> of = new ArrayList<>();
    for (int g = 0; g < groups.size(); g++) {
      for (int i : groups.get(g)) {
        long[] response = examples.get(i).response();
        for (int j = 1; j <= others; j++) {
          long[] prompt = examples.get(groups.get((g + j) % groups.size()).get(0)).prompt();
          if (prompt.length + response.length <= context) {
            elsewhere.add(new Example(prompt, response));
            of.add(i);
          }
        }
      }
    }
    double[] lp = anchor.sequenceLogProbs(elsewhere);
    double[] max = new double[out.length];
    Arrays.fill(max, Double.NEGATIVE_INFINITY);
    for (int k = 0; k < lp.length; k++) {
      max[of.get(k)] = Math.max(max[of.get(k)], lp[k]);
    }
    double[] sum = new double[out.length];
    int[] count = new int[out.length];
    for (int k = 0; k < lp.length; k++) {
      sum[of.get(k)] += Math.exp(lp[k] - max[of.get(k)]);
      count[of.get(k)]++;
    }
    for (int i = 0; i < out.length; i++) {
      out[i] = count[i] == 0 ? 0 : own[i] - (max[i] + Math.log(sum[i] / count[i]));
    }
    return out;
  }

  /**
   * What a prompt's generations are ranked by: the ensemble's mean − spread (conservative where the
   * members disagree), plus the likelihood term (log π_neg(y|x), or λ log π_SFT(y|x) when anchored, λ =
   * {@code policy.anchor_weight}) under every ranking but {@link Recipe.Ranking#DISCRIMINATOR}.
   */
  static double[] rankingScores(double[] mean, double[] std, double[] negativeLogProb, Recipe.Ranking ranking,
      double anchorWeight) {
    double weight = switch (ranking) {
      case DISCRIMINATOR -> 0;
      case EXPERT_LIKELIHOOD -> 1;
      case ANCHORED_LIKELIHOOD -> anchorWeight;
    };
    double[] out = new double[mean.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = mean[i] - std[i] + weight * negativeLogProb[i];
    }
    return out;
  }

  @Override
  public void close() {
    trainer.close();
  }
}
