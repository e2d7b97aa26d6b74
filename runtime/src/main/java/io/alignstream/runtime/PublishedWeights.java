package io.alignstream.runtime;

import io.alignstream.schemas.ModelVersion;

/**
 * A checkpoint as it travels: its manifest and the whole payload (a safetensors file), whose
 * checksums have been verified against the manifest.
 *
 * @param manifest the published manifest (model name, version, config.json, sizes, checksums)
 * @param payload the concatenated chunks, {@code manifest.totalBytes} long
 */
public record PublishedWeights(ModelVersion manifest, byte[] payload) {
  /** Format of a whole model's weights (every tensor, safetensors). */
  public static final String FULL = "safetensors";
  /** Format of a LoRA adapter: PEFT's {@code adapter_model.safetensors}, over a base published on its own line. */
  public static final String ADAPTER = "peft-lora";
  /**
   * Format of a reward ensemble's heads alone (safetensors, {@code io.alignstream.model.RewardHeads}), over the
   * frozen backbone of the base published on its own line: what the frozen-backbone recipe publishes.
   */
  public static final String HEADS = "reward-heads";
  /** Metadata of a version over a base ({@link #ADAPTER}, {@link #HEADS}): what its payload is (e.g. its {@code adapter_config.json}). */
  public static final String ADAPTER_CONFIG = "adapter.config";
  /** Metadata of a version over a base: the line whose (only) version is its frozen base. */
  public static final String ADAPTER_BASE = "adapter.base";

  /** Whether the payload is built over a base ({@link #ADAPTER}, {@link #HEADS}, any format but {@link #FULL}). */
  public boolean adapter() {
    return !FULL.equals(manifest.getFormat());
  }

  public String format() {
    return manifest.getFormat();
  }

  public String modelName() {
    return manifest.getModelName();
  }

  public long version() {
    return manifest.getVersion();
  }
}
