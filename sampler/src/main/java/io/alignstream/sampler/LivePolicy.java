package io.alignstream.sampler;

import io.alignstream.model.ModelConfig;
import io.alignstream.model.Policy;
import io.alignstream.model.Tokenizer;
import io.alignstream.runtime.PublishedWeights;
import io.alignstream.runtime.WeightSubscriber;
import java.io.IOException;
import java.util.Map;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * The sampler's policy and tokenizer, built from the first published version of its model line and
 * hot-swapped in place by every later one.
 *
 * <p>Hot swap uses {@link Policy#loadWeights}: decoding happens beside running generations, and the
 * pointer swap waits for the generate call in progress (which holds the read lock), so every batch sees
 * one version and old weights are freed as soon as no batch uses them — never while one does. A version
 * whose architecture ({@code configJson}) or tokenizer differs from the loaded one is refused (thrown),
 * so the subscriber rejects it and the old weights stay: changing either needs a restart, because
 * samples of one line must stay comparable token by token.
 *
 * <p>Thread-safety: {@link #onWeights} runs on the subscriber's thread; readers on any thread.
 */
final class LivePolicy implements WeightSubscriber.Listener, AutoCloseable {
  private record Loaded(Policy policy, Tokenizer tokenizer, String configJson, String tokenizerJson) {}

  private final String modelName;
  private final LongConsumer onLoaded;
  private volatile Loaded loaded;
  private volatile Map<String, String> metadata = Map.of();
  private volatile boolean closed;

  /** @param onLoaded called with each version once it is in use (on the subscriber thread) */
  LivePolicy(String modelName, LongConsumer onLoaded) {
    this.modelName = modelName;
    this.onLoaded = onLoaded;
  }

  @Override
  public synchronized void onWeights(PublishedWeights weights) throws IOException {
    if (closed) {
      throw new IllegalStateException("sampler is closing");
    }
    if (!weights.modelName().equals(modelName)) {
      throw new IllegalArgumentException("weights of " + weights.modelName() + ", expected " + modelName);
    }
    String configJson = weights.manifest().getConfigJson();
    String tokenizerJson = weights.manifest().getTokenizerJson();
    Loaded current = loaded;
    if (current == null) {
      loaded = build(configJson, tokenizerJson, weights.payload(), weights.version());
    } else {
      if (!current.configJson().equals(configJson)) {
        throw new IllegalArgumentException("v" + weights.version() + " changes the architecture (config.json); "
            + "restart the sampler to follow it");
      }
      if (!current.tokenizerJson().equals(tokenizerJson)) {
        throw new IllegalArgumentException("v" + weights.version() + " changes the tokenizer; restart the sampler to follow it");
      }
      current.policy().loadWeights(weights.payload(), weights.version()); // throws on a shape mismatch
    }
    metadata = Map.copyOf(weights.manifest().getMetadata());
    onLoaded.accept(weights.version());
  }

  /** Metadata of the manifest of the version in use (the learner's progress, for {@link InFlightGate}). */
  Map<String, String> metadata() {
    return metadata;
  }

  /** The policy and tokenizer a manifest describes, with these weights. */
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
      return new Loaded(Policy.fromBytes(config, payload, version), tokenizer, configJson, tokenizerJson);
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }


  /** Whether a first version is loaded. */
  boolean ready() {
    return loaded != null;
  }

  /** Version in use, or -1 before the first. */
  long version() {
    Loaded l = loaded;
    return l == null ? -1 : l.policy().version();
  }

  Policy policy() {
    return require().policy();
  }

  Tokenizer tokenizer() {
    return require().tokenizer();
  }

  private Loaded require() {
    Loaded l = loaded;
    if (l == null) {
      throw new IllegalStateException("no weights of " + modelName + " loaded yet");
    }
    return l;
  }

  /** Frees the native policy and tokenizer; waits for a generate call in progress (the policy's lock). */
  @Override
  public synchronized void close() {
    closed = true;
    Loaded l = loaded;
    loaded = null;
    if (l != null) {
      l.policy().close();
      l.tokenizer().close();
    }
  }
}
