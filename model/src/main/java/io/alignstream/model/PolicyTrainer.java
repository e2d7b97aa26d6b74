package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Optimiser steps on a {@link Policy}: SFT, BPO-style preference optimisation and Best-of-N
 * distillation. Each method is one AdamW step over the whole batch it is given and returns its
 * {@link StepStats}. The step holds the policy's write lock (generation on the same policy waits for
 * it). Not thread-safe: call from one learner thread. Closing the trainer closes its optimiser, not
 * the policy.
 */
public record PolicyTrainer(Policy policy, AdamW optimizer) implements AutoCloseable {

  /** Supervised fine-tuning: NLL of the response tokens (including their EOS). */
  public StepStats sftStep(List<Example> batch) {
    return sftStep(batch, null);
  }

  /**
   * Weighted SFT: example i counts {@code weights[i]} times (e.g. truncated importance weights for
   * samples of an older policy); null means all 1.
   */
  public StepStats sftStep(List<Example> batch, double[] weights) {
    if (weights != null && weights.length != batch.size()) {
      throw new IllegalArgumentException(batch.size() + " examples but " + weights.length + " weights");
    }
    ModelConfig c = policy.config();
    TokenBatch tb = TokenBatch.of(batch, c);
    long tokens = 0;
    for (Example e : batch) {
      tokens += e.response().length;
    }
    long count = tokens;
    return optimizer.step(policy, (w, m) -> {
      NDArray lp = tb.tokenLogProbs(c, w, m); // (batch, seq)
      NDArray mask = tb.mask(m, w.dataType()); // (batch, seq)
      NDArray loss = weights == null ? Objectives.sftNll(lp, mask)
          : Objectives.weightedSftNll(lp, mask, typed(m.create(weights), w.dataType()));
      return new AdamW.Loss(loss, count, Map.of());
    });
  }

  /**
   * One DPO / IPO / SLiC step with the reference log-probs carried by the pairs (BPO: the behaviour
   * policy's). Reports {@code margin} (mean h) and {@code accuracy} (fraction with h > 0).
   */
  public StepStats preferenceStep(List<PreferencePair> pairs, PreferenceConfig config) {
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException("preferenceStep needs at least one pair");
    }
    int n = pairs.size();
    List<Example> both = new ArrayList<>(2 * n);
    pairs.forEach(p -> both.add(new Example(p.prompt(), p.chosen())));
    pairs.forEach(p -> both.add(new Example(p.prompt(), p.rejected())));
    double[] chosenRef = pairs.stream().mapToDouble(PreferencePair::chosenReferenceLogProb).toArray();
    double[] rejectedRef = pairs.stream().mapToDouble(PreferencePair::rejectedReferenceLogProb).toArray();
    ModelConfig c = policy.config();
    TokenBatch tb = TokenBatch.of(both, c);
    return optimizer.step(policy, (w, m) -> {
      NDArray seq = Objectives.sequenceLogProbs(tb.tokenLogProbs(c, w, m), tb.mask(m, w.dataType())); // (2n)
      NDArray h = Objectives.preferenceMargin(seq.get("0:" + n), seq.get(n + ":"),
          typed(m.create(chosenRef), w.dataType()), typed(m.create(rejectedRef), w.dataType())); // (n)
      NDArray loss = Objectives.preferenceLoss(config.loss(), h, config.beta());
      Map<String, NDArray> metrics = new LinkedHashMap<>();
      metrics.put("margin", h.mean());
      metrics.put("accuracy", h.gt(Scalar.of(m, 0, w.dataType())).toType(DataType.FLOAT64, false).mean());
      return new AdamW.Loss(loss, n, metrics);
    });
  }

  /** Preference fine-tuning: SFT on the {@code keep} highest-reward responses of every prompt. */
  public StepStats bestOfNStep(List<Objectives.CandidateGroup> groups, int keep) {
    return sftStep(Objectives.bestOfN(groups, keep));
  }

  static NDArray typed(NDArray a, DataType type) {
    return a.getDataType() == type ? a : a.toType(type, false);
  }

  @Override
  public void close() {
    optimizer.close();
  }
}
