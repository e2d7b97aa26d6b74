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
  /** Adapter-manifest metadata: its {@code adapter_config.json}. */
  public static final String ADAPTER_CONFIG = "adapter.config";
  /** Adapter-manifest metadata: the line whose (only) version is the adapter's frozen base. */
  public static final String ADAPTER_BASE = "adapter.base";

  /** Whether the payload is an adapter rather than whole weights. */
  public boolean adapter() {
    return ADAPTER.equals(manifest.getFormat());
  }

  public String modelName() {
    return manifest.getModelName();
  }

  public long version() {
    return manifest.getVersion();
  }
}
