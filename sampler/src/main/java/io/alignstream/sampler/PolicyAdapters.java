package io.alignstream.sampler;

import io.alignstream.model.Policy;
import io.alignstream.model.lora.PeftFiles;
import io.alignstream.runtime.OneBase;
import io.alignstream.runtime.PublishedWeights;
import io.alignstream.schemas.ModelLines;

/**
 * The sampler's LoRA serving: π_0 (the learner's {@code base} line) loaded once, and every adapter
 * version merged into a working copy of the targeted matrices only ({@link Policy#adapted}); both
 * decode paths then run unchanged, and a swap costs the adapter's bytes and its matrices, not a model.
 */
final class PolicyAdapters {
  private PolicyAdapters() {}

  static OneBase<Policy, Policy> serving() {
    return new OneBase<>(ModelLines.BASE, PublishedWeights.ADAPTER, Policy::fromBytes,
        (base, adapterConfigJson, adapter, version) ->
            Policy.adapted(base, PeftFiles.parseConfig(adapterConfigJson), adapter, version));
  }
}
