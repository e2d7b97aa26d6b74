package io.alignstream.runtime;

import io.alignstream.model.ModelConfig;

/**
 * How a {@link LiveModel} builds a line's adapter versions ({@link PublishedWeights#ADAPTER}): over one
 * base, published once on its own line and loaded once, each adapter becomes a model of its own (e.g.
 * the base with the adapter merged into a working copy of the targeted matrices). Called on the weight
 * subscriber's thread only; closing it frees the base, after every model built from it is closed.
 */
public interface AdapterFactory<M> extends AutoCloseable {
  /** The line whose version is the base, e.g. {@code base} (the learner's π_0). */
  String baseLine();

  /**
   * Loads the base from its payload (whole weights); called once, when the first adapter needs it.
   *
   * @throws Exception when it does not build; the adapter waiting for it is then refused
   */
  void loadBase(ModelConfig config, byte[] payload, long version) throws Exception;

  /** One version: {@code adapter} (PEFT safetensors) with its {@code adapter_config.json} over the base. */
  M adapt(String adapterConfigJson, byte[] adapter, long version) throws Exception;

  @Override
  void close();
}
