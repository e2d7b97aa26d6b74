package io.alignstream.model.lora;

import java.util.List;
import java.util.regex.Pattern;

/**
 * One LoRA adapter's shape (Hu et al. 2021, PEFT's {@code LoraConfig}): every targeted linear layer
 * W (out, in) gains A (rank, in) and B (out, rank), and computes x W^T + (alpha / rank) dropout(x) A^T B^T.
 * A rank of 0 means no adapter (full fine-tuning).
 *
 * @param rank r, the adapter's inner width; 0 turns LoRA off
 * @param alpha the numerator of the scale alpha / r
 * @param dropout probability that an input element is zeroed in the adapter's branch while training
 * @param targets module names by their last component ({@code q_proj}, {@code c_attn}), as PEFT's
 *     {@code target_modules}; {@value #ALL_LINEAR} means every linear layer of the backbone
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targets) {
  /** PEFT's keyword for every linear layer except the output layer. */
  public static final String ALL_LINEAR = "all-linear";
  private static final Pattern MODULE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*|" + Pattern.quote(ALL_LINEAR));
  /** No adapter. */
  public static final LoraConfig OFF = new LoraConfig(0, 16, 0, List.of(ALL_LINEAR));

  public LoraConfig {
    if (rank < 0) {
      throw new IllegalArgumentException("lora rank must be >= 0 (0 turns LoRA off), got " + rank);
    }
    if (!(alpha > 0) || !Double.isFinite(alpha)) {
      throw new IllegalArgumentException("lora alpha must be a positive number, got " + alpha);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("lora dropout must be in [0, 1), got " + dropout);
    }
    targets = List.copyOf(targets);
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("lora targets must name at least one module (e.g. q_proj,v_proj) or "
          + ALL_LINEAR);
    }
    for (String t : targets) {
      if (!MODULE.matcher(t).matches()) {
        throw new IllegalArgumentException("lora target '" + t + "' is not a module name such as q_proj or c_attn");
      }
    }
  }

  /** Whether an adapter is trained (rank > 0). */
  public boolean enabled() {
    return rank > 0;
  }

  /** alpha / rank, the factor of the adapter's branch. */
  public double scale() {
    return alpha / rank;
  }

  /** Whether the layer named {@code module} (a dotted path) is adapted: its last component is a target. */
  public boolean targets(String module) {
    if (targets.contains(ALL_LINEAR)) {
      return true;
    }
    String last = module.substring(module.lastIndexOf('.') + 1);
    return targets.contains(last);
  }
}
