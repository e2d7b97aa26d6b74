package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Optimiser steps on a {@link RewardModel} with the discriminator loss
 * L_D = -E_pos[log sigma(f)] - E_neg[log(1 - sigma(f))]. Which populations are positive and negative
 * is the caller's choice, named by a {@link DiscriminatorConfig}. Not thread-safe: one trainer thread.
 */
public record RewardTrainer(RewardModel model, AdamW optimizer) implements AutoCloseable {

  /**
   * One step on a batch of positives and negatives. Reports {@code accuracy} (positives with f > 0 and
   * negatives with f < 0), {@code positiveReward} and {@code negativeReward} (mean f).
   */
  public StepStats discriminatorStep(List<Example> positives, List<Example> negatives) {
    if (positives.isEmpty() || negatives.isEmpty()) {
      throw new IllegalArgumentException("discriminatorStep needs at least one positive and one negative, got "
          + positives.size() + " and " + negatives.size());
    }
    int p = positives.size();
    List<Example> all = new ArrayList<>(positives);
    all.addAll(negatives);
    TokenBatch tb = TokenBatch.of(all, model.config());
    return optimizer.step(model, (w, m) -> {
      NDArray f = model.logits(tb, w, m); // (p + n)
      NDArray pos = f.get("0:" + p); // (p)
      NDArray neg = f.get(p + ":"); // (n)
      NDArray zero = Scalar.of(m, 0, w.dataType());
      Map<String, NDArray> metrics = new LinkedHashMap<>();
      NDArray correct = pos.gt(zero).toType(DataType.FLOAT64, false).sum()
          .add(neg.lt(zero).toType(DataType.FLOAT64, false).sum());
      metrics.put("accuracy", correct.div(Scalar.of(m, all.size(), DataType.FLOAT64)));
      metrics.put("positiveReward", pos.mean());
      metrics.put("negativeReward", neg.mean());
      return new AdamW.Loss(Objectives.discriminatorLoss(pos, neg), all.size(), metrics);
    });
  }

  @Override
  public void close() {
    optimizer.close();
  }
}
