package io.alignstream.runtime;

/**
 * A long-running part of a run as its command runs it: {@link #run()} blocks until {@link #close()}
 * (from any thread, a shutdown hook too), the end of its work, or a failure, which it throws.
 * Closing is idempotent.
 */
public interface Service extends Runnable, AutoCloseable {}
