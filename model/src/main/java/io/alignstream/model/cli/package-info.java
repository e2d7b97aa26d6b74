/** The {@code pretrain} and {@code generate} picocli commands over the model core; the launcher registers them. */
package io.alignstream.model.cli;
