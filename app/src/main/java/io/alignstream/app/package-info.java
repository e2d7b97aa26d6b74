/** The launcher: the {@code alignstream} command line, and every service in one JVM for the demo. */
package io.alignstream.app;
