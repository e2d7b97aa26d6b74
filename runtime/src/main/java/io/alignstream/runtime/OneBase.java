package io.alignstream.runtime;

import io.alignstream.model.ModelConfig;

/**
 * An {@link AdapterFactory} over one base model of type {@code B}, loaded once from the base line and
 * closed last: what is left to a service is how it loads the base and what it builds over it.
 */
public abstract class OneBase<B extends AutoCloseable, M> implements AdapterFactory<M> {
  private final String baseLine;
  private final String format;
  private B base; // subscriber thread only

  /** @param format the versions' format, e.g. {@link PublishedWeights#ADAPTER} */
  protected OneBase(String baseLine, String format) {
    this.baseLine = baseLine;
    this.format = format;
  }

  /** The base model from the base line's payload (whole weights). */
  protected abstract B load(ModelConfig config, byte[] payload, long version) throws Exception;

  /** The loaded base; only from {@link #adapt}, which runs after {@link #loadBase}. */
  protected final B base() {
    if (base == null) {
      throw new IllegalStateException("no base loaded");
    }
    return base;
  }

  @Override
  public final String baseLine() {
    return baseLine;
  }

  @Override
  public final String format() {
    return format;
  }

  @Override
  public final void loadBase(ModelConfig config, byte[] payload, long version) throws Exception {
    if (base != null) {
      throw new IllegalStateException("the base is loaded once");
    }
    base = load(config, payload, version);
  }

  @Override
  public final void close() {
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
