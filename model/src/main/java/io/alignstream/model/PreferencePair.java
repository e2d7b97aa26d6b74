package io.alignstream.model;

/**
 * A labelled pair with the reference log-probs that came with it (the behaviour policy's summed
 * per-token log-probs, so the learner never re-runs a reference model).
 *
 * @param prompt prompt ids
 * @param chosen preferred response ids (y_w)
 * @param rejected other response ids (y_l)
 * @param chosenReferenceLogProb log pi_ref(y_w | x)
 * @param rejectedReferenceLogProb log pi_ref(y_l | x)
 */
public record PreferencePair(long[] prompt, long[] chosen, long[] rejected, double chosenReferenceLogProb,
    double rejectedReferenceLogProb) {
  public PreferencePair {
    new Example(prompt, chosen);
    new Example(prompt, rejected);
    if (!Double.isFinite(chosenReferenceLogProb) || !Double.isFinite(rejectedReferenceLogProb)) {
      throw new IllegalArgumentException("PreferencePair: reference log-probs must be finite");
    }
  }
}
