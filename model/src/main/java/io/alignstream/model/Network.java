package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.Set;

/**
 * A family's forward pass at one shape, as plain tensor operations over {@link Weights}: the seam
 * between the family packages and everything that trains, scores and decodes. Stateless; made by
 * {@link ModelConfig#network()}.
 *
 * <p>Every intermediate is created in the caller's step manager: DJL attaches an op's result to its
 * first operand's manager, so a pass keeps an array of the step (never a parameter) first. Constants
 * are arrays too, never Java numbers, because {@code NDArray.mul(Number)} frees its scalar before
 * backward runs.
 */
public interface Network {

  /** Names and shapes of the backbone parameters, in the family's Hugging Face names and layouts. */
  Map<String, Shape> spec();

  /**
   * Parameters of {@link #spec()} that only the output layer uses (an untied {@code lm_head}): a model
   * with another head, such as a reward model, has none of them.
   */
  default Set<String> outputLayer() {
    return Set.of();
  }

  /**
   * The linear layers a LoRA adapter may adapt, by parameter prefix ({@code prefix + ".weight"} is the
   * matrix), in forward order; none by default. The forward pass sends each one's output through
   * {@link Weights#adapted}.
   */
  default Map<String, Linear> linearLayers() {
    return Map.of();
  }

  /**
   * One linear layer as PEFT names it.
   *
   * @param module its path in the Hugging Face model ({@code model.layers.0.self_attn.q_proj},
   *     {@code transformer.h.0.attn.c_attn})
   * @param in input width
   * @param out output width
   * @param fanInFanOut whether the weight is stored (in, out), as GPT-2's Conv1D, rather than (out, in)
   */
  record Linear(String module, long in, long out, boolean fanInFanOut) {}

  /** How a fresh parameter of this name is drawn. */
  Init init(String name);

  /**
   * The parameter a tensor stored under {@code stored} in a checkpoint is, or null for a tensor that is
   * deliberately not one (attention-mask buffers, an output layer tied to the embedding).
   */
  String parameterName(String stored);

  /** Constants of one differentiated or one-off pass over {@code w}, made in {@code m}. */
  Pass pass(Weights w, NDManager m);

  /**
   * Constants for many decoding steps over {@code w}, made once in {@code m}, which outlives the
   * steps; no backward runs through them, so they may hold views of the weights. By default those of
   * {@link #pass}.
   */
  default Pass decoding(Weights w, NDManager m) {
    return pass(w, m);
  }

  /**
   * The weights of {@code w} copied for decoding on the JVM, or null when this family decodes through
   * libtorch only (or {@code w} is not float32).
   */
  default Host host(Weights w) {
    return null;
  }

  /** One version of the weights prepared for {@link HostDecoder}s: immutable, shared by threads. */
  interface Host {
    /** A decoder with empty caches. */
    HostDecoder decoder();
  }

  /** One or more forward passes over one set of weights. */
  interface Pass {
    /**
     * Final hidden states, after the last norm.
     *
     * @param ids token ids, int64 (batch, seq)
     * @param positions position ids, int64 (batch or 1, seq)
     * @param mask additive attention mask (batch or 1, 1, seq, cached + seq), or null where every key is
     *     visible to every query (one new token per row and no padding)
     * @param cache null for a full pass; otherwise extended in place with this pass's keys and values
     * @return (batch, seq, width)
     */
    NDArray hidden(NDArray ids, NDArray positions, NDArray mask, KvCache cache);

    /** Next-token logits through the output layer: (..., width) to (..., vocab). */
    NDArray logits(NDArray hidden);
  }

  /**
   * Initial values of one parameter: a constant {@code fill}, or draws from N(0, std^2) when
   * {@code normal}.
   */
  record Init(boolean normal, double fill, double std) {
    public static Init zeros() {
      return new Init(false, 0, 0);
    }

    public static Init ones() {
      return new Init(false, 1, 0);
    }

    public static Init normal(double std) {
      return new Init(true, 0, std);
    }

    /** Hugging Face's scheme: zeros for a bias, ones for a norm's {@code gain}, else N(0, std^2). */
    public static Init of(String name, boolean gain, double std) {
      if (name.endsWith(".bias")) {
        return zeros();
      }
      return gain ? ones() : normal(std);
    }
  }
}
