package dev.grpca.server;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import org.slf4j.LoggerFactory;

/**
 * {@code log.format}: plain text lines (logback.xml, the default) or JSON lines for log shippers
 * (logback-json.xml). Applied once the configuration is read, before the server starts; a {@code
 * -Dlogback.configurationFile} given by the operator is left alone.
 */
final class LogFormat {
  private LogFormat() {}

  static void apply(String format) {
    if (!"json".equals(format) || System.getProperty("logback.configurationFile") != null) {
      return;
    }
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    URL json = LogFormat.class.getResource("/logback-json.xml");
    context.reset();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(json);
    } catch (JoranException e) {
      throw new IllegalStateException("cannot configure JSON logging from " + json, e);
    }
  }
}
