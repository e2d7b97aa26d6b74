/**
 * What every streaming service shares: the replica shape (a live model fed by the weight topics, the
 * exactly-once loop, one lifecycle), weights through Kafka, metrics and run events.
 */
package io.alignstream.runtime;
