package io.alignstream.runtime;

import io.alignstream.model.ModelConfig;

/**
 * How a {@link LiveModel} builds a line's versions published over a base, in one {@link #format()} (a LoRA
 * adapter, {@link PublishedWeights#ADAPTER}; a reward ensemble's heads, {@link PublishedWeights#HEADS}): over
 * one base, published once on its own line and loaded once, each such version becomes a model of its own
 * (e.g. the base with the adapter merged into a working copy of the targeted matrices). Called on the weight
 * subscriber's thread only; closing it frees the base, after every model built from it is closed.
 */
public interface AdapterFactory<M> extends AutoCloseable {
  /** The line whose version is the base, e.g. {@code base} (the learner's π_0). */
  String baseLine();

  /** The manifest format of the versions it builds, e.g. {@link PublishedWeights#ADAPTER}. */
  String format();

  /**
   * Loads the base from its payload (whole weights); called once, when the first adapter needs it.
   *
   * @throws Exception when it does not build; the adapter waiting for it is then refused
   */
  void loadBase(ModelConfig config, byte[] payload, long version) throws Exception;

  /**
   * One version over the base: {@code adapter} (e.g. PEFT safetensors) with what its manifest's
   * {@link PublishedWeights#ADAPTER_CONFIG} says it is (e.g. its {@code adapter_config.json}).
   *
   * @throws Exception when it does not fit the base; the version is then refused
   */
  M adapt(String adapterConfigJson, byte[] adapter, long version) throws Exception;

  @Override
  void close();
}
