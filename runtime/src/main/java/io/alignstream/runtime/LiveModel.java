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
 * <p>Thread-safety: {@link #onWeights} runs on the subscriber's thread; everything else on any.
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

  /**
   * @param line the model line it follows
   * @param owner what holds it, for messages ("sampler", "rewarder")
   */
  public LiveModel(String line, String owner, Factory<M> factory) {
    this.line = line;
    this.owner = owner;
    this.factory = factory;
  }

  public String line() {
    return line;
  }

  @Override
  public void onWeights(PublishedWeights weights) throws Exception {
    if (!weights.modelName().equals(line)) {
      throw new IllegalArgumentException("weights of " + weights.modelName() + ", expected " + line);
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
      M model = factory.build(v.config(), weights.payload(), weights.version());
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
      M model = factory.build(config, weights.payload(), weights.version());
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
    if (l != null) {
      try {
        l.current().model().close();
      } catch (Exception e) {
        throw new IllegalStateException("closing " + line + ": " + e.getMessage(), e);
      } finally {
        l.current().tokenizer().close();
      }
    }
  }
}
