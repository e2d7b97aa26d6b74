package io.alignstream.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * What {@link Policy} and {@link RewardModel} share: a configuration, one set of {@link Weights}
 * owned by a private native manager, and the lock that makes weight changes safe.
 *
 * <p>Thread-safety contract: any number of threads may read (generate, score, compute log-probs,
 * export bytes, copy) at once. Optimiser steps and {@link #loadWeights} take the write lock, so a
 * reader always sees one complete version of the weights, never a half-updated one. Each change
 * increments {@link #version()} unless the caller sets it explicitly.
 */
abstract class BaseModel implements AutoCloseable {
  /** File name of the weights inside a model directory. */
  public static final String WEIGHTS_FILE = "model.safetensors";

  final ModelConfig config;
  final Network network;
  final NDManager root;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private Weights weights; // guarded by lock
  private volatile long version;

  BaseModel(ModelConfig config, NDManager root, Weights weights, long version) {
    this.config = config;
    this.network = config.network();
    this.root = root;
    this.weights = weights;
    this.version = version;
  }

  /** Names and shapes of every parameter of this kind of model. */
  abstract Map<String, Shape> spec();

  public final ModelConfig config() {
    return config;
  }

  /** Monotonic weights version: bumped by every optimiser step, or set by {@link #loadWeights}. */
  public final long version() {
    return version;
  }

  /** Number of trainable scalars. */
  public final long parameterCount() {
    return spec().values().stream().mapToLong(Shape::size).sum();
  }

  /** All weights as safetensors bytes (canonical Hugging Face names, float32). */
  public byte[] weightsToBytes() {
    return read(Weights::toBytes);
  }

  /**
   * What {@link #weightsToBytes()} gave for the model {@link #save} wrote to {@code dir}: the file is
   * those bytes (the same encoder), read back instead of encoded again.
   */
  public static byte[] savedWeightsToBytes(Path dir) throws IOException {
    return Files.readAllBytes(dir.resolve(WEIGHTS_FILE));
  }

  /**
   * Replaces the weights in place with safetensors bytes of the same architecture (hot swap).
   * Decoding happens before the write lock is taken, so readers wait only for the pointer swap.
   *
   * @throws IllegalArgumentException when the bytes do not match this model's tensors and shapes
   */
  public final void loadWeights(byte[] safetensors, long newVersion) {
    Weights fresh = Weights.decode(safetensors, network, spec(), root);
    Weights old;
    lock.writeLock().lock();
    try {
      old = weights;
      weights = fresh;
      version = newVersion;
    } finally {
      lock.writeLock().unlock();
    }
    old.close();
  }

  /** Writes {@code config.json} and {@code model.safetensors} into {@code dir} (created if needed). */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    config.write(dir.resolve(ModelConfig.FILE_NAME));
    lock.readLock().lock();
    try {
      weights.write(dir.resolve(WEIGHTS_FILE));
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Runs {@code reader} under the read lock. */
  final <T> T read(Function<Weights, T> reader) {
    return locked(lock.readLock(), reader);
  }

  /** Runs {@code writer} under the write lock. */
  final <T> T write(Function<Weights, T> writer) {
    return locked(lock.writeLock(), writer);
  }

  /** What {@link #inBatches} does with one batch: its examples from index {@code from}, packed. */
  @FunctionalInterface
  interface BatchReader {
    void read(int from, List<Example> chunk, TokenBatch batch, Weights w, NDManager m);
  }

  /**
   * Runs {@code reader} over {@code examples} in batches of at most 32, under the read lock and with no
   * gradient, each batch in its own sub-manager, closed before the next.
   */
  final void inBatches(List<Example> examples, BatchReader reader) {
    read(w -> {
      try (GradMode off = GradMode.off()) {
        for (int from = 0; from < examples.size(); from += 32) {
          List<Example> chunk = examples.subList(from, Math.min(examples.size(), from + 32));
          try (NDManager m = root.newSubManager()) {
            reader.read(from, chunk, TokenBatch.of(chunk, config), w, m);
          }
        }
      }
      return null;
    });
  }

  private <T> T locked(Lock held, Function<Weights, T> action) {
    held.lock();
    try {
      return action.apply(weights);
    } finally {
      held.unlock();
    }
  }

  /** Sets the version number (after loading a checkpoint). */
  final void setVersion(long v) {
    write(w -> {
      version = v;
      return null;
    });
  }

  /** Marks a change of the weights; call only while holding the write lock (inside {@link #write}). */
  final void bumpVersion() {
    version++;
  }

  static NDManager newRoot() {
    engineDefaults();
    return NDManager.newBaseManager("PyTorch");
  }

  /** A model made by {@code make} in a new root manager, which is closed again when making it fails. */
  static <M> M inNewRoot(Function<NDManager, M> make) {
    NDManager root = newRoot();
    try {
      return make.apply(root);
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  /**
   * Engine defaults applied before DJL first loads; an explicit system property or environment
   * variable always wins.
   * <ul>
   *   <li>{@code ai.djl.offline=true}: otherwise DJL makes usage and metadata calls to the network.
   *   <li>{@code ai.djl.pytorch.num_threads=1} (and one inter-op thread): on the 2-core machines this
   *       project targets, several services share the cores, and libtorch's OpenMP threads spin against
   *       each other; a 768x3072 matrix-vector product measured 0.9 ms with one thread and 6.2 ms with
   *       two under load. Set the property (or {@code OMP_NUM_THREADS}) to use more.
   * </ul>
   */
  static void engineDefaults() {
    if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    if (System.getProperty("ai.djl.pytorch.num_threads") == null && System.getenv("OMP_NUM_THREADS") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", "1");
    }
    if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
  }

  static Weights readWeights(Path dir, Network network, Map<String, Shape> spec, NDManager root) {
    if (!Weights.present(dir)) {
      throw new IllegalArgumentException(dir + " is not a model directory: " + WEIGHTS_FILE + " is missing");
    }
    try {
      return Weights.read(dir, network, spec, root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the weights in " + dir, e);
    }
  }

  static ModelConfig readConfig(Path dir) {
    Path file = dir.resolve(ModelConfig.FILE_NAME);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(dir + " is not a model directory: " + ModelConfig.FILE_NAME + " is missing");
    }
    try {
      return ModelConfig.readDir(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      root.close();
    } finally {
      lock.writeLock().unlock();
    }
  }
}
