package io.alignstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of every layer for incremental decoding, in a manager of their own under the
 * decoding manager: each step's arrays are closed with its step manager, the cache's only when it is.
 */
public final class KvCache implements AutoCloseable {
  private final NDManager manager;
  private final NDArray[] keys; // per layer (batch, kv heads, cached, head width)
  private final NDArray[] values; // per layer (batch, kv heads, cached, head width)

  KvCache(NDManager parent, int layers) {
    this.manager = parent.newSubManager();
    this.keys = new NDArray[layers];
    this.values = new NDArray[layers];
  }

  /** Appends this pass's keys (batch, kv heads, seq, head width) of a layer; returns all of them. */
  public NDArray keys(int layer, NDArray fresh) {
    return append(keys, layer, fresh);
  }

  /** Appends this pass's values (batch, kv heads, seq, head width) of a layer; returns all of them. */
  public NDArray values(int layer, NDArray fresh) {
    return append(values, layer, fresh);
  }

  private NDArray append(NDArray[] store, int layer, NDArray fresh) {
    NDArray old = store[layer];
    NDArray all;
    if (old == null) {
      all = fresh.duplicate();
    } else {
      all = NDArrays.concat(new NDList(old, fresh), 2);
    }
    all.attach(manager);
    if (old != null) {
      old.close();
    }
    store[layer] = all;
    return all;
  }

  @Override
  public void close() {
    manager.close();
  }
}
