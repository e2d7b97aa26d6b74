package io.alignstream.runtime;

import io.alignstream.model.ModelConfig;

/**
 * An {@link AdapterFactory} over one base model of type {@code B}, loaded once from the base line and
 * closed last: a service gives only how it loads the base and how it builds a version over it.
 */
public final class OneBase<B extends AutoCloseable, M> implements AdapterFactory<M> {
  /** The base model from the base line's payload (whole weights). */
  public interface Loader<B> {
    B load(ModelConfig config, byte[] payload, long version) throws Exception;
  }

  /** One version over the base, from its config (JSON, in the manifest) and its payload. */
  public interface Builder<B, M> {
    M build(B base, String configJson, byte[] payload, long version) throws Exception;
  }

  private final String baseLine;
  private final String format;
  private final Loader<B> loader;
  private final Builder<B, M> builder;
  private B base; // subscriber thread only

  /** @param format the versions' format, e.g. {@link PublishedWeights#ADAPTER} */
  public OneBase(String baseLine, String format, Loader<B> loader, Builder<B, M> builder) {
    this.baseLine = baseLine;
    this.format = format;
    this.loader = loader;
    this.builder = builder;
  }

  @Override
  public String baseLine() {
    return baseLine;
  }

  @Override
  public String format() {
    return format;
  }

  @Override
  public void loadBase(ModelConfig config, byte[] payload, long version) throws Exception {
    if (base != null) {
      throw new IllegalStateException("the base is loaded once");
    }
    base = loader.load(config, payload, version);
  }

  @Override
  public M adapt(String configJson, byte[] payload, long version) throws Exception {
    if (base == null) {
      throw new IllegalStateException("no base loaded");
    }
    return builder.build(base, configJson, payload, version);
  }

  @Override
  public void close() {
    if (base != null) {
      try {
        base.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing the base of " + baseLine + ": " + e.getMessage(), e);
      } finally {
        base = null;
      }
    }
  }
}
