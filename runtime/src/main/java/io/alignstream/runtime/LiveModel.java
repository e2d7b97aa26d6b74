package io.alignstream.runtime;

import io.alignstream.model.ModelConfig;
import io.alignstream.model.Tokenizer;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * A replica's model of one line (the sampler's policy, the rewarder's ensemble), built from the
 * line's first published version and replaced whole by every later one.
 *
 * <p>Hot swap: the new version is built beside the one in use (by the service's {@link Factory}),
 * then the reference is swapped under a write lock; work holds the read lock while it runs
 * ({@link #withModel}), so it always sees one version, and the old one is closed once no work uses
 * it, never while some does. A swap is all or nothing: a version that does not build leaves the old
 * one in use. The price is a second copy of the weights during a swap.
 *
 * <p>A version is refused (thrown, so the {@link WeightSubscriber} rejects it and the old weights
 * stay) when it is of another line, when its payload does not build, or when its architecture
 * ({@code config.json}) or tokenizer differs from the loaded one: following those needs a restart,
 * because the token ids of work already in flight would no longer match.
 *
 * <p>Adapters: with an {@link AdapterFactory}, versions published over a base in its format (LoRA adapters,
 * {@link PublishedWeights#ADAPTER}; reward heads, {@link PublishedWeights#HEADS}) are built over one base, which the subscriber also delivers (its
 * {@link AdapterFactory#baseLine()}); the base's bytes are kept only until the first adapter loads it, or
 * until a whole-weights version shows that no adapter will come. An adapter that arrives before its base
 * waits for it (it is the version in use as soon as the base is there), so the order in which the two
 * lines complete does not matter. A second base is refused (restart to follow it), and so is a version over a
 * base in another format than the factory's.
 *
 * <p>Thread-safety: {@link #onWeights} runs on the subscriber's thread (so do the adapter fields); everything
 * else on any.
 */
public final class LiveModel<M extends AutoCloseable> implements WeightSubscriber.Listener, AutoCloseable {
  /** Builds one version's model on the line's architecture, fixed by its first version. */
  @FunctionalInterface
  public interface Factory<M> {
    M build(ModelConfig config, byte[] payload, long version) throws Exception;
  }

  /**
   * One version of the line, as a piece of work sees it.
   *
   * @param metadata its manifest's metadata (e.g. the learner's progress)
   */
  public record Version<M>(M model, Tokenizer tokenizer, ModelConfig config, long version, Map<String, String> metadata) {}

  private record Loaded<M>(Version<M> current, String configJson, String tokenizerJson) {}

  private final String line;
  private final String owner;
  private final Factory<M> factory;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private Loaded<M> loaded; // guarded by lock
  private boolean closed; // guarded by lock
  private volatile long version = -1;
  private volatile Map<String, String> metadata = Map.of();
  private final AdapterFactory<M> adapters; // null: whole weights only
  private PublishedWeights base; // the base line's version, until loaded or not needed
  private boolean baseLoaded;
  private boolean wholeSeen;
  private PublishedWeights waiting; // an adapter that came before its base

  /**
   * @param line the model line it follows
   * @param owner what holds it, for messages ("sampler", "rewarder")
   */
  public LiveModel(String line, String owner, Factory<M> factory) {
    this(line, owner, factory, null);
  }

  /** As {@link #LiveModel(String, String, Factory)}, also serving adapter versions through {@code adapters} (may be null). */
  public LiveModel(String line, String owner, Factory<M> factory, AdapterFactory<M> adapters) {
    this.line = line;
    this.owner = owner;
    this.factory = factory;
    this.adapters = adapters != null && adapters.baseLine().equals(line) ? null : adapters;
  }

  /** The other line the subscriber must deliver here (the adapters' base), or null. */
  public String baseLine() {
    return adapters == null ? null : adapters.baseLine();
  }

  /** The base line's version: kept (as bytes) for the first adapter; a waiting adapter goes in now. */
  private void onBase(PublishedWeights weights) throws Exception {
    if (base != null || baseLoaded) {
      throw new IllegalArgumentException(weights.modelName() + " v" + weights.version() + " is a second base; restart the "
          + owner + " to follow it");
    }
    if (wholeSeen) {
      return; // this line publishes whole weights: no adapter will need it
    }
    base = weights;
    if (waiting != null) {
      PublishedWeights w = waiting;
      waiting = null;
      onWeights(w);
    }
  }

  /** One version's model: whole weights through the factory, an adapter over the base (loaded at first use). */
  private M build(ModelConfig config, PublishedWeights weights) throws Exception {
    if (!weights.adapter()) {
      wholeSeen = true;
      base = null;
      return factory.build(config, weights.payload(), weights.version());
    }
    if (!baseLoaded) {
      ModelConfig baseConfig = ModelConfig.fromJson(base.manifest().getConfigJson());
      if (!baseConfig.equals(config)) {
        throw new IllegalArgumentException("the adapter's base " + base.modelName() + " is another architecture");
      }
      adapters.loadBase(baseConfig, base.payload(), base.version());
      baseLoaded = true;
      base = null; // its bytes are no longer needed
    }
    String adapterConfig = weights.manifest().getMetadata().get(PublishedWeights.ADAPTER_CONFIG);
    if (adapterConfig == null) {
      throw new IllegalArgumentException("the " + weights.format() + " manifest carries no " + PublishedWeights.ADAPTER_CONFIG);
    }
    return adapters.adapt(adapterConfig, weights.payload(), weights.version());
  }

  public String line() {
    return line;
  }

  @Override
  public void onWeights(PublishedWeights weights) throws Exception {
    if (adapters != null && weights.modelName().equals(adapters.baseLine())) {
      onBase(weights);
      return;
    }
    if (!weights.modelName().equals(line)) {
      throw new IllegalArgumentException("weights of " + weights.modelName() + ", expected " + line);
    }
    if (weights.adapter()) {
      if (adapters == null || !adapters.format().equals(weights.format())) {
        throw new IllegalArgumentException("v" + weights.version() + " is " + weights.format() + " over a base; this "
            + owner + (adapters == null ? " serves whole weights only" : " serves whole weights or " + adapters.format()));
      }
      if (!baseLoaded && base == null) {
        waiting = weights; // in use once the base arrives
        return;
      }
    }
    String configJson = weights.manifest().getConfigJson();
    String tokenizerJson = weights.manifest().getTokenizerJson();
    Map<String, String> meta = Map.copyOf(weights.manifest().getMetadata());
    Loaded<M> current = current();
    Loaded<M> fresh;
    if (current == null) {
      fresh = first(configJson, tokenizerJson, weights, meta);
    } else {
      if (!current.configJson().equals(configJson)) {
        throw new IllegalArgumentException("v" + weights.version() + " changes the architecture (config.json); "
            + "restart the " + owner + " to follow it");
      }
      if (!current.tokenizerJson().equals(tokenizerJson)) {
        throw new IllegalArgumentException("v" + weights.version() + " changes the tokenizer; restart the " + owner
            + " to follow it");
      }
      Version<M> v = current.current();
      M model = build(v.config(), weights);
      fresh = new Loaded<>(new Version<>(model, v.tokenizer(), v.config(), weights.version(), meta), configJson,
          tokenizerJson);
    }
    Loaded<M> old;
    lock.writeLock().lock();
    try {
      if (closed) {
        fresh.current().model().close();
        if (current == null) {
          fresh.current().tokenizer().close();
        }
        throw new IllegalStateException(owner + " is closing");
      }
      old = loaded;
      loaded = fresh;
      version = weights.version();
      metadata = meta;
    } finally {
      lock.writeLock().unlock();
    }
    if (old != null) {
      old.current().model().close(); // the tokenizer carries over
    }
  }

  /** The model, tokenizer and architecture a line's first manifest describes. */
  private Loaded<M> first(String configJson, String tokenizerJson, PublishedWeights weights, Map<String, String> meta)
      throws Exception {
    if (tokenizerJson == null || tokenizerJson.isBlank()) {
      throw new IllegalArgumentException("the manifest carries no tokenizer.json");
    }
    ModelConfig config = ModelConfig.fromJson(configJson);
    Tokenizer tokenizer = Tokenizer.fromJson(tokenizerJson);
    try {
      if (tokenizer.vocabSize() > config.vocabSize()) {
        throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize() + " ids but the model only "
            + config.vocabSize());
      }
      M model = build(config, weights);
      return new Loaded<>(new Version<>(model, tokenizer, config, weights.version(), meta), configJson, tokenizerJson);
    } catch (Exception e) {
      tokenizer.close();
      throw e;
    }
  }

  private Loaded<M> current() {
    lock.readLock().lock();
    try {
      return loaded;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Whether a first version is loaded. */
  public boolean ready() {
    return version >= 0;
  }

  /** Version in use, or -1 before the first. */
  public long version() {
    return version;
  }

  /** The metadata of the manifest of the version in use; empty before the first. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * Runs {@code work} on the version in use; a swap waits until it returns, so everything it does sees
   * one version and the model stays open meanwhile.
   *
   * @throws IllegalStateException before the first version or after {@link #close()}
   */
  public <T> T withModel(Function<Version<M>, T> work) {
    lock.readLock().lock();
    try {
      if (loaded == null) {
        throw new IllegalStateException(closed ? owner + " is closed" : "no weights of " + line + " loaded yet");
      }
      return work.apply(loaded.current());
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Frees the model and tokenizer; waits for work in progress. Idempotent. */
  @Override
  public void close() {
    Loaded<M> l;
    lock.writeLock().lock();
    try {
      closed = true;
      l = loaded;
      loaded = null;
      version = -1;
    } finally {
      lock.writeLock().unlock();
    }
    try {
      if (l != null) {
        try {
          l.current().model().close();
        } catch (Exception e) {
          throw new IllegalStateException("closing " + line + ": " + e.getMessage(), e);
        } finally {
          l.current().tokenizer().close();
        }
      }
    } finally {
      if (adapters != null) {
        adapters.close(); // after the models built over its base
      }
    }
  }
}
