package io.alignstream.runtime;

import io.alignstream.schemas.ContentId;
import io.alignstream.schemas.ModelVersion;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.WeightChunk;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Publishes a checkpoint as checksummed chunks followed by its manifest.
 *
 * <p>Contract: call {@link #publish} inside the caller's producer transaction and commit it; a
 * {@code read_committed} reader then sees either the whole version or none of it. The manifest
 * records the offset of the first chunk, so new readers seek straight to it. A model line's chunks
 * go to its own partition of the chunk topic ({@link Topics#weightChunkPartition}, over the topic's
 * actual partition count, so a run created with one chunk partition keeps working).
 */
public final class WeightPublisher {
  private final Producer<byte[], byte[]> producer;
  private final Topics topics;
  private final int chunkBytes;
  /** Partitions of the chunk topic as the broker has it; 0 until the first publication asks. */
  private int chunkPartitions;

  public WeightPublisher(Producer<byte[], byte[]> producer, Topics topics) {
    this(producer, topics, Topics.WEIGHT_CHUNK_BYTES);
  }

  public WeightPublisher(Producer<byte[], byte[]> producer, Topics topics, int chunkBytes) {
    if (chunkBytes < 1 || chunkBytes > Topics.WEIGHT_CHUNK_BYTES) {
      throw new IllegalArgumentException("chunkBytes must be in [1, " + Topics.WEIGHT_CHUNK_BYTES + "], got " + chunkBytes);
    }
    this.producer = producer;
    this.topics = topics;
    this.chunkBytes = chunkBytes;
  }

  /** Producer settings a weight publisher needs on top of the connection's (records up to the topic limit). */
  public static Map<String, Object> producerOverrides() {
    return Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.WEIGHT_RECORD_MAX_BYTES,
        ProducerConfig.BUFFER_MEMORY_CONFIG, 4L * Topics.WEIGHT_RECORD_MAX_BYTES);
  }

  /**
   * Sends {@code payload} as version {@code version} of {@code modelName}, and returns the manifest
   * sent. Blocks until the chunks are acknowledged (to learn the first chunk's offset).
   */
  public ModelVersion publish(String modelName, long version, byte[] payload, String configJson,
      String tokenizerJson, long trainedSamples, Map<String, String> metadata) {
    return publish(modelName, version, PublishedWeights.FULL, payload, configJson, tokenizerJson, trainedSamples,
        metadata);
  }

  /**
   * As {@link #publish(String, long, byte[], String, String, long, Map)} with the payload's
   * {@code format}: {@link PublishedWeights#FULL}, or one over a base ({@link PublishedWeights#ADAPTER},
   * {@link PublishedWeights#HEADS}), whose metadata then carries {@link PublishedWeights#ADAPTER_CONFIG} and
   * {@link PublishedWeights#ADAPTER_BASE}.
   */
  public ModelVersion publish(String modelName, long version, String format, byte[] payload, String configJson,
      String tokenizerJson, long trainedSamples, Map<String, String> metadata) {
    if (!format.equals(PublishedWeights.FULL) && (!metadata.containsKey(PublishedWeights.ADAPTER_CONFIG)
        || !metadata.containsKey(PublishedWeights.ADAPTER_BASE))) {
      throw new IllegalArgumentException("a " + format + " manifest names its " + PublishedWeights.ADAPTER_CONFIG
          + " and its base line");
    }
    int count = Math.max(1, (payload.length + chunkBytes - 1) / chunkBytes);
    int partition = Topics.weightChunkPartition(modelName, chunkPartitions());
    List<Future<RecordMetadata>> sent = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] slice = Arrays.copyOfRange(payload, i * chunkBytes, Math.min(payload.length, (i + 1) * chunkBytes));
      WeightChunk chunk = WeightChunk.newBuilder().setModelName(modelName).setVersion(version).setIndex(i)
          .setSha256(ContentId.sha256(slice)).setData(ByteBuffer.wrap(slice)).build();
      sent.add(producer.send(topics.weightChunks.record(partition, modelName + "/" + i, chunk)));
    }
    producer.flush();
    long firstOffset;
    try {
      firstOffset = sent.get(0).get().offset();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while publishing " + modelName + " v" + version, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("could not publish " + modelName + " v" + version + ": " + e.getCause().getMessage(), e.getCause());
    }
    ModelVersion manifest = ModelVersion.newBuilder().setModelName(modelName).setVersion(version)
        .setFormat(format).setTotalBytes(payload.length).setChunkCount(count)
        .setFirstChunkOffset(firstOffset).setSha256(ContentId.sha256(payload)).setConfigJson(configJson).setTokenizerJson(tokenizerJson)
        .setTrainedSamples(trainedSamples).setCreatedAtMs(System.currentTimeMillis())
        .setMetadata(Map.copyOf(metadata)).build();
    producer.send(topics.modelVersions.record(modelName, manifest));
    return manifest;
  }

  private int chunkPartitions() {
    if (chunkPartitions == 0) {
      var known = producer.partitionsFor(topics.weightChunks.name());
      // A client that knows no partitions (a mock) gets the run's layout.
      chunkPartitions = known == null || known.isEmpty() ? topics.weightChunks.partitions() : known.size();
    }
    return chunkPartitions;
  }
}
