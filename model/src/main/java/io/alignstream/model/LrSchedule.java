package io.alignstream.model;

/**
 * Learning rate per optimiser step: linear warm-up to {@code peak}, then cosine or linear decay to
 * {@code peak * minRatio} at {@code totalSteps}, constant afterwards.
 *
 * @param peak peak learning rate, > 0
 * @param warmupSteps steps of linear warm-up (0 = none)
 * @param totalSteps step at which the decay ends; ignored by {@link Decay#CONSTANT}
 * @param decay shape after warm-up
 * @param minRatio final rate as a fraction of the peak, in [0, 1]
 */
public record LrSchedule(double peak, int warmupSteps, int totalSteps, Decay decay, double minRatio) {
  public enum Decay { CONSTANT, LINEAR, COSINE }

  public LrSchedule {
    if (!(peak > 0)) {
      throw new IllegalArgumentException("LrSchedule: peak must be > 0, got " + peak);
    }
    if (warmupSteps < 0) {
      throw new IllegalArgumentException("LrSchedule: warmupSteps must be >= 0, got " + warmupSteps);
    }
    if (decay == null) {
      throw new IllegalArgumentException("LrSchedule: decay is required (CONSTANT, LINEAR or COSINE)");
    }
    if (decay != Decay.CONSTANT && totalSteps <= warmupSteps) {
      throw new IllegalArgumentException("LrSchedule: totalSteps (" + totalSteps + ") must exceed warmupSteps ("
          + warmupSteps + ") for a decaying schedule");
    }
    if (!(minRatio >= 0 && minRatio <= 1)) {
      throw new IllegalArgumentException("LrSchedule: minRatio must be in [0, 1], got " + minRatio);
    }
  }

  public static LrSchedule constant(double lr) {
    return new LrSchedule(lr, 0, 0, Decay.CONSTANT, 1.0);
  }

  public static LrSchedule cosine(double peak, int warmupSteps, int totalSteps) {
    return new LrSchedule(peak, warmupSteps, totalSteps, Decay.COSINE, 0.1);
  }

  /** Rate for optimiser step {@code step} (1 = the first step). */
  public double at(long step) {
    if (step < 1) {
      throw new IllegalArgumentException("step counts from 1, got " + step);
    }
    if (step <= warmupSteps) {
      return peak * step / warmupSteps;
    }
    if (decay == Decay.CONSTANT) {
      return peak;
    }
    double progress = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
    double shape = switch (decay) {
      case LINEAR -> 1.0 - progress;
      case COSINE -> 0.5 * (1.0 + Math.cos(Math.PI * progress));
      case CONSTANT -> 1.0;
    };
    return peak * (minRatio + (1.0 - minRatio) * shape);
  }
}
