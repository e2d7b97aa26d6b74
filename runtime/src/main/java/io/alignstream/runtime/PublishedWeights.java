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
  public String modelName() {
    return manifest.getModelName();
  }

  public long version() {
    return manifest.getVersion();
  }
}
