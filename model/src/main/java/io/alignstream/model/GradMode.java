package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Per-thread autograd switch and backward pass, straight on libtorch.
 *
 * <p>Why not DJL's {@code GradientCollector}: only one may be open per process, which would forbid a
 * learner from training the policy and the discriminator on two threads. libtorch's grad mode is
 * thread-local and backward passes on different graphs are independent, so this is safe.
 * New threads start with grad mode on: inference code must open {@code GradMode.off()}.
 */
final class GradMode implements AutoCloseable {
  private final boolean previous;

  private GradMode(boolean enabled) {
    previous = JniUtils.isGradMode();
    JniUtils.setGradMode(enabled);
  }

  /** Records operations for backward on this thread until closed. */
  static GradMode on() {
    return new GradMode(true);
  }

  /** Stops recording on this thread until closed (inference, optimiser updates). */
  static GradMode off() {
    return new GradMode(false);
  }

  /** Accumulates d(loss)/d(parameter) into every parameter's gradient; {@code loss} must be a scalar. */
  static void backward(NDArray loss, NDManager m) {
    NDArray seed = m.ones(loss.getShape(), loss.getDataType());
    JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
  }

  /** The gradient of a parameter as a view owned by {@code m}, or null when backward never reached it. */
  static NDArray gradient(NDArray parameter, NDManager m) {
    PtNDArray g = JniUtils.getGradient((PtNDArray) parameter);
    if (g != null) {
      g.attach(m);
    }
    return g;
  }

  /** Drops the accumulated gradient of a parameter. */
  static void zero(NDArray parameter) {
    JniUtils.zeroGrad((PtNDArray) parameter);
  }

  @Override
  public void close() {
    JniUtils.setGradMode(previous);
  }
}
