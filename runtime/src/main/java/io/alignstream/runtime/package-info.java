/** What every streaming service shares: model weights through Kafka, metrics and run events. */
package io.alignstream.runtime;
