package io.alignstream.sampler;

import io.alignstream.model.ModelConfig;
import io.alignstream.model.Policy;
import io.alignstream.model.lora.PeftFiles;
import io.alignstream.runtime.AdapterFactory;
import io.alignstream.schemas.ModelLines;

/**
 * The sampler's LoRA serving: π_0 (the learner's {@code base} line) loaded once, and every adapter
 * version merged into a working copy of the targeted matrices only ({@link Policy#adapted}); both
 * decode paths then run unchanged, and a swap costs the adapter's bytes and its matrices, not a model.
 */
final class PolicyAdapters implements AdapterFactory<Policy> {
  private Policy base; // subscriber thread only

  @Override
  public String baseLine() {
    return ModelLines.BASE;
  }

  @Override
  public void loadBase(ModelConfig config, byte[] payload, long version) {
    if (base != null) {
      throw new IllegalStateException("the base is loaded once");
    }
    base = Policy.fromBytes(config, payload, version);
  }

  @Override
  public Policy adapt(String adapterConfigJson, byte[] adapter, long version) {
    return Policy.adapted(base, PeftFiles.parseConfig(adapterConfigJson), adapter, version);
  }

  @Override
  public void close() {
    if (base != null) {
      base.close();
      base = null;
    }
  }
}
