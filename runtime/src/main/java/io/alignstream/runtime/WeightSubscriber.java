package io.alignstream.runtime;

import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.ModelVersion;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.WeightChunk;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the weight topics and hands every new, verified version of the watched models to a
 * {@link Listener}, which hot-swaps it in.
 *
 * <p>A version is delivered only when all its chunks arrived and every checksum (each chunk's and
 * the whole payload's) matches its manifest. A corrupt version, a partial one (chunks missing after
 * {@code partialTimeout}), or one the listener refuses (throws) is rejected: the listener keeps its
 * old weights and the subscriber waits for the next version. Versions only increase.
 *
 * <p>The consumer must be {@code read_committed} with no group: it is assigned the manifest partition
 * and only the chunk partitions of the watched models ({@link Topics#weightChunkPartition}, over the
 * chunk topic's actual partition count, so a run created with one chunk partition is still read). It
 * is used by the subscriber's own thread only; start it with {@link #start()}.
 */
public final class WeightSubscriber implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WeightSubscriber.class);

  /** Receives verified weights; throwing rejects the version and keeps the old weights. */
  @FunctionalInterface
  public interface Listener {
    void onWeights(PublishedWeights weights) throws Exception;
  }

  private record Key(String model, long version) {}

  private final Consumer<byte[], byte[]> consumer;
  private final Topics topics;
  private final Set<String> models;
  private final Listener listener;
  private final Duration partialTimeout;
  private final TopicPartition manifestPartition;
  /** The chunk partition of each watched model; set again from the broker's partition count on start. */
  private Map<String, TopicPartition> chunkPartitions;

  private final Map<String, Long> delivered = new ConcurrentHashMap<>();
  private final Map<String, ModelVersion> pending = new HashMap<>();
  private final Map<String, Long> pendingSinceMs = new HashMap<>();
  private final Map<Key, TreeMap<Integer, WeightChunk>> chunks = new HashMap<>();
  private final Map<Key, String> corrupt = new HashMap<>();
  private volatile Deliveries deliveries = new Deliveries(0, 0, ""); // written by the subscriber's thread only
  private volatile boolean running;
  private Thread thread;

  public WeightSubscriber(Consumer<byte[], byte[]> consumer, Topics topics, Set<String> models,
      Listener listener, Duration partialTimeout) {
    this.consumer = consumer;
    this.topics = topics;
    this.models = Set.copyOf(models);
    this.listener = listener;
    this.partialTimeout = partialTimeout;
    this.manifestPartition = new TopicPartition(topics.modelVersions.name(), 0);
    this.chunkPartitions = chunkPartitions(topics.weightChunks.partitions());
  }

  private Map<String, TopicPartition> chunkPartitions(int partitionCount) {
    var out = new HashMap<String, TopicPartition>();
    for (String model : models) {
      out.put(model, new TopicPartition(topics.weightChunks.name(), Topics.weightChunkPartition(model, partitionCount)));
    }
    return Map.copyOf(out);
  }

  /** Starts following from the beginning of the weight topics on a daemon thread. */
  public synchronized WeightSubscriber start() {
    if (thread != null) {
      throw new IllegalStateException("already started");
    }
    running = true;
    thread = new Thread(this::run, "weights-" + String.join("+", models));
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  /** The last version delivered for {@code model}, or -1. */
  public long version(String model) {
    return delivered.getOrDefault(model, -1L);
  }

  /**
   * What became of the versions so far, as one snapshot.
   *
   * @param accepted versions delivered to the listener
   * @param rejected versions rejected (corrupt, partial, or refused by the listener)
   * @param lastRejection why the last one was rejected, or why the subscriber stopped; "" if neither
   */
  public record Deliveries(long accepted, long rejected, String lastRejection) {}

  public Deliveries deliveries() {
    return deliveries;
  }

  /** Waits until a version ≥ {@code minVersion} of {@code model} was delivered; false on time-out. */
  public boolean awaitVersion(String model, long minVersion, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (version(model) < minVersion) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  private void run() {
    try {
      int count = chunkPartitionCount();
      if (count != topics.weightChunks.partitions()) {
        log.info("{} has {} partitions (the layout has {}): chunks are read where that count puts them",
            topics.weightChunks.name(), count, topics.weightChunks.partitions());
        chunkPartitions = chunkPartitions(count);
      }
      var assigned = new ArrayList<TopicPartition>();
      assigned.add(manifestPartition);
      chunkPartitions.values().stream().distinct().sorted(Comparator.comparingInt(TopicPartition::partition))
          .forEach(assigned::add);
      consumer.assign(assigned);
      consumer.seekToBeginning(assigned);
      while (running) {
        pollOnce(Duration.ofMillis(200));
      }
    } catch (WakeupException e) {
      if (running) {
        throw e;
      }
    } catch (RuntimeException e) {
      log.error("weight subscriber stopped: {}", e.toString());
      Deliveries d = deliveries;
      deliveries = new Deliveries(d.accepted(), d.rejected(), "subscriber stopped: " + e.getMessage());
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  /**
   * The chunk topic's partition count on the broker; the run's layout when the topic is not there yet
   * or the broker does not answer in time (the publisher, which asks too, then sees the same layout).
   */
  private int chunkPartitionCount() {
    try {
      var known = consumer.partitionsFor(topics.weightChunks.name(), Duration.ofSeconds(30));
      return known == null || known.isEmpty() ? topics.weightChunks.partitions() : known.size();
    } catch (TimeoutException e) {
      log.warn("no partition count for {} in 30 s, assuming the run's layout: {}", topics.weightChunks.name(),
          e.getMessage());
      return topics.weightChunks.partitions();
    }
  }

  /** One poll and the deliveries it allows; package-private so tests can drive it without a thread. */
  void pollOnce(Duration timeout) {
    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(timeout)) {
      if (record.topic().equals(topics.weightChunks.name())) {
        onChunk(record);
      } else {
        onManifest(record);
      }
    }
    deliverReady(System.currentTimeMillis());
  }

  private void onChunk(ConsumerRecord<byte[], byte[]> record) {
    WeightChunk chunk;
    try {
      chunk = topics.weightChunks.value(record);
    } catch (SerializationException e) {
      log.warn("undecodable weight chunk at offset {}: {}", record.offset(), e.getMessage());
      return; // its version, if any, will be rejected as partial
    }
    if (chunk == null || !models.contains(chunk.getModelName())
        || chunk.getVersion() <= version(chunk.getModelName())) {
      return;
    }
    Key key = new Key(chunk.getModelName(), chunk.getVersion());
    byte[] data = bytes(chunk);
    if (!ContentId.sha256(data).equals(chunk.getSha256())) {
      corrupt.put(key, "chunk " + chunk.getIndex() + " fails its checksum");
      return;
    }
    chunks.computeIfAbsent(key, k -> new TreeMap<>()).put(chunk.getIndex(), chunk);
  }

  private void onManifest(ConsumerRecord<byte[], byte[]> record) {
    ModelVersion manifest;
    try {
      manifest = topics.modelVersions.value(record);
    } catch (SerializationException e) {
      reject("undecodable manifest at offset " + record.offset() + ": " + e.getMessage());
      return;
    }
    if (manifest == null || !models.contains(manifest.getModelName())
        || manifest.getVersion() <= version(manifest.getModelName())) {
      return;
    }
    String model = manifest.getModelName();
    pending.put(model, manifest);
    pendingSinceMs.put(model, System.currentTimeMillis());
    long first = manifest.getFirstChunkOffset();
    TopicPartition chunkPartition = chunkPartitions.get(model);
    // A reader that starts late may be past this version's chunks, or far behind them.
    if (first >= 0 && !chunks.containsKey(new Key(model, manifest.getVersion()))
        && consumer.position(chunkPartition) != first) {
      consumer.seek(chunkPartition, first);
    }
  }

  private void deliverReady(long nowMs) {
    for (var it = pending.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      ModelVersion manifest = entry.getValue();
      Key key = new Key(entry.getKey(), manifest.getVersion());
      TreeMap<Integer, WeightChunk> have = chunks.getOrDefault(key, new TreeMap<>());
      String problem = corrupt.get(key);
      boolean complete = have.size() >= manifest.getChunkCount();
      boolean timedOut = nowMs - pendingSinceMs.get(entry.getKey()) > partialTimeout.toMillis();
      if (problem == null && !complete && !timedOut) {
        continue;
      }
      it.remove();
      if (problem == null && !complete) {
        problem = "partial: " + have.size() + " of " + manifest.getChunkCount() + " chunks after "
            + partialTimeout.toSeconds() + " s";
      }
      if (problem == null) {
        problem = verifyAndDeliver(manifest, have);
      }
      if (problem != null) {
        reject(key.model() + " v" + key.version() + " rejected, old weights kept: " + problem);
      }
      forgetUpTo(key);
    }
  }

  /** Returns null when delivered, or the reason it was not. */
  private String verifyAndDeliver(ModelVersion manifest, TreeMap<Integer, WeightChunk> have) {
    var out = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8, manifest.getTotalBytes()));
    for (int i = 0; i < manifest.getChunkCount(); i++) {
      WeightChunk chunk = have.get(i);
      if (chunk == null) {
        return "chunk " + i + " missing";
      }
      out.writeBytes(bytes(chunk));
    }
    byte[] payload = out.toByteArray();
    if (payload.length != manifest.getTotalBytes()) {
      return "payload is " + payload.length + " bytes, manifest says " + manifest.getTotalBytes();
    }
    if (!ContentId.sha256(payload).equals(manifest.getSha256())) {
      return "payload checksum does not match the manifest";
    }
    try {
      listener.onWeights(new PublishedWeights(manifest, payload));
    } catch (Exception e) {
      return "the model refused it: " + e.getMessage();
    }
    delivered.put(manifest.getModelName(), manifest.getVersion());
    Deliveries d = deliveries;
    deliveries = new Deliveries(d.accepted() + 1, d.rejected(), d.lastRejection());
    log.info("{} v{} loaded ({} bytes in {} chunks)", manifest.getModelName(), manifest.getVersion(),
        payload.length, manifest.getChunkCount());
    return null;
  }

  private void forgetUpTo(Key done) {
    chunks.keySet().removeIf(k -> k.model().equals(done.model()) && k.version() <= done.version());
    corrupt.keySet().removeIf(k -> k.model().equals(done.model()) && k.version() <= done.version());
  }

  private void reject(String reason) {
    Deliveries d = deliveries;
    deliveries = new Deliveries(d.accepted(), d.rejected() + 1, reason);
    log.warn(reason);
  }

  private static byte[] bytes(WeightChunk chunk) {
    var buffer = chunk.getData().duplicate();
    byte[] data = new byte[buffer.remaining()];
    buffer.get(data);
    return data;
  }

  @Override
  public void close() throws InterruptedException {
    Thread t;
    synchronized (this) {
      running = false;
      t = thread;
    }
    if (t != null) {
      consumer.wakeup();
      t.join(5_000);
    } else {
      consumer.close(Duration.ofSeconds(2));
    }
  }
}
