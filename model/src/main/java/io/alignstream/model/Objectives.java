package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The training objectives of docs/ALGORITHMS.md as plain functions. Tensor functions are differentiable
 * and create their constants in the manager of their first input (never Java scalars, which DJL frees
 * before backward); {@code double} functions are for quantities that are never differentiated.
 */
public final class Objectives {
  private Objectives() {}

  /**
   * Which preference loss turns the margin h into a loss. With
   * h = [log pi(y_w) - log pi_ref(y_w)] - [log pi(y_l) - log pi_ref(y_l)]:
   * DPO: -log sigma(beta h); IPO: (h - 1/(2 beta))^2; SLiC: max(0, 1 - beta h).
   */
  public enum PreferenceLoss { DPO, IPO, SLIC }

  /**
   * Supervised NLL (forward KL): mean over response tokens of -log pi(token | prefix).
   *
   * @param tokenLogProbs (batch, seq) log-probs of the target tokens
   * @param mask (batch, seq) 1 on response tokens, 0 elsewhere
   * @return scalar
   */
  public static NDArray sftNll(NDArray tokenLogProbs, NDArray mask) {
    return tokenLogProbs.mul(mask).sum().neg().div(mask.sum());
  }

  /**
   * Weighted supervised NLL: sum_i w_i * sum_t -log pi / sum_i w_i * n_i (per-example weights, e.g.
   * truncated importance weights).
   *
   * @param weights (batch) non-negative weights
   */
  public static NDArray weightedSftNll(NDArray tokenLogProbs, NDArray mask, NDArray weights) {
    NDArray w = weights.expandDims(1); // (batch, 1)
    return tokenLogProbs.mul(mask).mul(w).sum().neg().div(mask.mul(w).sum());
  }

  /**
   * Sum of response-token log-probs per sequence: log pi(y | x).
   *
   * @return (batch)
   */
  public static NDArray sequenceLogProbs(NDArray tokenLogProbs, NDArray mask) {
    return tokenLogProbs.mul(mask).sum(new int[] {1});
  }

  /**
   * Discriminator loss L_D = -E_pos[log sigma(f)] - E_neg[log(1 - sigma(f))], in the stable softplus
   * form softplus(-f) and softplus(f) (no exp overflow, no log(0)).
   *
   * @param positiveLogits (P) logits f of positives
   * @param negativeLogits (N) logits f of negatives
   * @return scalar
   */
  public static NDArray discriminatorLoss(NDArray positiveLogits, NDArray negativeLogits) {
    NDArray pos = positiveLogits.neg().getNDArrayInternal().softPlus().mean();
    NDArray neg = negativeLogits.getNDArrayInternal().softPlus().mean();
    return pos.add(neg);
  }

  /**
   * The BPO margin h with the reference log-probs supplied by the data (the behaviour policy's).
   *
   * @param chosen (batch) log pi_theta(y_w | x)
   * @param rejected (batch) log pi_theta(y_l | x)
   * @param chosenReference (batch) log pi_ref(y_w | x)
   * @param rejectedReference (batch) log pi_ref(y_l | x)
   * @return (batch)
   */
  public static NDArray preferenceMargin(NDArray chosen, NDArray rejected, NDArray chosenReference,
      NDArray rejectedReference) {
    return chosen.sub(chosenReference).sub(rejected.sub(rejectedReference));
  }

  /**
   * Mean DPO, IPO or SLiC loss over a batch of margins.
   *
   * @param margin (batch) h
   * @param beta strength, > 0
   * @return scalar
   */
  public static NDArray preferenceLoss(PreferenceLoss kind, NDArray margin, double beta) {
    if (!(beta > 0)) {
      throw new IllegalArgumentException("beta must be > 0, got " + beta);
    }
    NDManager m = margin.getManager();
    NDArray b = Scalar.of(m, beta, margin.getDataType());
    return switch (kind) {
      case DPO -> margin.mul(b).neg().getNDArrayInternal().softPlus().mean();
      case IPO -> margin.sub(Scalar.of(m, 1.0 / (2.0 * beta), margin.getDataType())).square().mean();
      case SLIC -> {
        NDArray hinge = Scalar.of(m, 1.0, margin.getDataType()).sub(margin.mul(b));
        yield hinge.maximum(Scalar.of(m, 0.0, margin.getDataType())).mean();
      }
    };
  }

  /**
   * Truncated importance weights min(exp(log pi_theta - log pi_beta), c) for samples drawn by an older
   * behaviour policy.
   *
   * @param cap c, > 0 (2 to 5 is usual)
   */
  public static double[] truncatedImportanceWeights(double[] policyLogProbs, double[] behaviourLogProbs, double cap) {
    requireSameLength(policyLogProbs, behaviourLogProbs);
    if (!(cap > 0)) {
      throw new IllegalArgumentException("cap must be > 0, got " + cap);
    }
    // Compare in log space so a huge ratio does not overflow before the cap applies.
    double logCap = Math.log(cap);
    return IntStream.range(0, policyLogProbs.length)
        .mapToDouble(i -> Math.exp(Math.min(policyLogProbs[i] - behaviourLogProbs[i], logCap)))
        .toArray();
  }

  /** Candidates for one prompt with their rewards, for Best-of-N distillation. */
  public record CandidateGroup(long[] prompt, List<long[]> responses, double[] rewards) {
    public CandidateGroup {
      if (responses.size() != rewards.length) {
        throw new IllegalArgumentException("CandidateGroup: " + responses.size() + " responses but "
            + rewards.length + " rewards");
      }
    }
  }

  /**
   * Preference fine-tuning data: the {@code keep} highest-reward responses of every prompt (see
   * {@link #bestOfNIndices}). The policy is then trained with {@link #sftNll} on these.
   */
  public static List<Example> bestOfN(List<CandidateGroup> groups, int keep) {
    int[][] chosen = bestOfNIndices(groups, keep);
    List<Example> out = new ArrayList<>();
    for (int g = 0; g < groups.size(); g++) {
      for (int i : chosen[g]) {
        out.add(new Example(groups.get(g).prompt(), groups.get(g).responses().get(i)));
      }
    }
    return out;
  }

  /**
   * Per group, the indices of its {@code keep} highest-reward responses, best first. Ties keep the
   * earlier response; rewards compare as {@link Double#compare} orders them (NaN highest).
   *
   * @return (groups, ≤ keep) candidate indices
   */
  public static int[][] bestOfNIndices(List<CandidateGroup> groups, int keep) {
    if (keep < 1) {
      throw new IllegalArgumentException("keep must be >= 1, got " + keep);
    }
    int[][] out = new int[groups.size()][];
    for (int g = 0; g < out.length; g++) {
      double[] rewards = groups.get(g).rewards();
      out[g] = IntStream.range(0, rewards.length).boxed()
          .sorted(Comparator.comparingDouble((Integer i) -> rewards[i]).reversed().thenComparing(i -> i))
          .limit(keep)
          .mapToInt(Integer::intValue)
          .toArray();
    }
    return out;
  }

  private static void requireSameLength(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("length mismatch: " + a.length + " vs " + b.length);
    }
  }
}
