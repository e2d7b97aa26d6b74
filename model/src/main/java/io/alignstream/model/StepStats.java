package io.alignstream.model;

import java.util.Map;

/**
 * What one optimiser step did.
 *
 * @param step optimiser step number after this step (1 = first)
 * @param loss the objective's value before the update
 * @param gradNorm global gradient norm before clipping (NaN when non-finite; the update was skipped)
 * @param learningRate rate used
 * @param tokens response tokens (or sequences, for sequence-level losses) in the batch
 * @param skipped true when the update was skipped because the gradient was not finite
 * @param metrics objective-specific figures, e.g. {@code accuracy}, {@code margin}
 */
public record StepStats(long step, double loss, double gradNorm, double learningRate, long tokens, boolean skipped,
    Map<String, Double> metrics) {}
