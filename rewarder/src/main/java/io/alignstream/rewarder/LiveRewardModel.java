package io.alignstream.rewarder;

import io.alignstream.model.ModelConfig;
import io.alignstream.model.RewardEnsemble;
import io.alignstream.model.Tokenizer;
import io.alignstream.runtime.PublishedWeights;
import io.alignstream.runtime.WeightSubscriber;
import io.alignstream.schemas.ModelLines;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * The rewarder's ensemble and tokenizer, built from the first published version of the "reward" line
 * and replaced by every later one.
 *
 * <p>Hot swap builds the new ensemble beside the one in use ({@link RewardEnsemble#fromBytes}) and then
 * swaps the reference under a write lock; the old one is closed once no micro-batch uses it. This is
 * all-or-nothing for the whole ensemble (in-place {@code loadWeights} could leave earlier members at the
 * new version when a later member's tensors do not fit), and a micro-batch, which holds the read lock
 * while it scores, always sees one version. The price is a second copy of the weights during a swap.
 *
 * <p>A version is refused (thrown, so the subscriber rejects it and the old weights stay) when its
 * payload does not decode into the architecture, or when its architecture ({@code configJson}) or
 * tokenizer differs from the loaded one: following those needs a restart, because the token ids of
 * generations already in flight would no longer match.
 *
 * <p>Thread-safety: {@link #onWeights} runs on the subscriber's thread; {@link #withModel} on any.
 */
final class LiveRewardModel implements WeightSubscriber.Listener, AutoCloseable {
  /** One version of the reward model, as a micro-batch sees it. */
  record Snapshot(RewardEnsemble ensemble, Tokenizer tokenizer, ModelConfig config, long version) {}

  private record Loaded(Snapshot snapshot, String configJson, String tokenizerJson) {}

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private Loaded loaded; // guarded by lock
  private boolean closed; // guarded by lock
  private volatile long version = -1;

  @Override
  public void onWeights(PublishedWeights weights) throws IOException {
    if (!weights.modelName().equals(ModelLines.REWARD)) {
      throw new IllegalArgumentException("weights of " + weights.modelName() + ", expected " + ModelLines.REWARD);
    }
    String configJson = weights.manifest().getConfigJson();
    String tokenizerJson = weights.manifest().getTokenizerJson();
    Loaded current = current();
    Loaded fresh;
    if (current == null) {
      fresh = build(configJson, tokenizerJson, weights.payload(), weights.version());
    } else {
      if (!current.configJson().equals(configJson)) {
        throw new IllegalArgumentException("v" + weights.version() + " changes the architecture (config.json); "
            + "restart the rewarder to follow it");
      }
      if (!current.tokenizerJson().equals(tokenizerJson)) {
        throw new IllegalArgumentException("v" + weights.version() + " changes the tokenizer; restart the rewarder to follow it");
      }
      Snapshot s = current.snapshot();
      RewardEnsemble ensemble = RewardEnsemble.fromBytes(s.config(), weights.payload(), weights.version(), 0);
      fresh = new Loaded(new Snapshot(ensemble, s.tokenizer(), s.config(), weights.version()), configJson, tokenizerJson);
    }
    Loaded old;
    lock.writeLock().lock();
    try {
      if (closed) {
        fresh.snapshot().ensemble().close();
        if (current == null) {
          fresh.snapshot().tokenizer().close();
        }
        throw new IllegalStateException("rewarder is closing");
      }
      old = loaded;
      loaded = fresh;
      version = weights.version();
    } finally {
      lock.writeLock().unlock();
    }
    if (old != null) {
      old.snapshot().ensemble().close(); // the tokenizer carries over
    }
  }

  private Loaded current() {
    lock.readLock().lock();
    try {
      return loaded;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The ensemble and tokenizer a manifest describes, with these weights. */
  private static Loaded build(String configJson, String tokenizerJson, byte[] payload, long version) throws IOException {
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
      RewardEnsemble ensemble = RewardEnsemble.fromBytes(config, payload, version, 0);
      return new Loaded(new Snapshot(ensemble, tokenizer, config, version), configJson, tokenizerJson);
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }


  /** Whether a first version is loaded. */
  boolean ready() {
    return version >= 0;
  }

  /** Version in use, or -1 before the first. */
  long version() {
    return version;
  }

  /**
   * Runs {@code work} on the version in use; a swap waits until it returns, so everything it does sees
   * one version and the ensemble stays open meanwhile.
   *
   * @throws IllegalStateException before the first version or after {@link #close()}
   */
  <T> T withModel(Function<Snapshot, T> work) {
    lock.readLock().lock();
    try {
      if (loaded == null) {
        throw new IllegalStateException(closed ? "rewarder is closed" : "no weights of " + ModelLines.REWARD + " loaded yet");
      }
      return work.apply(loaded.snapshot());
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Frees the ensemble and tokenizer; waits for a micro-batch being scored. Idempotent. */
  @Override
  public void close() {
    Loaded l;
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
      l.snapshot().ensemble().close();
      l.snapshot().tokenizer().close();
    }
  }
}
