package dev.grpca.client.cli;

import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import dev.grpca.client.AtomicFiles;
import dev.grpca.client.GrpcaClient;
import dev.grpca.proto.v1.Certificate;
import dev.grpca.proto.v1.CertificateState;
import dev.grpca.proto.v1.CertificateStatus;
import dev.grpca.proto.v1.GetRequest;
import dev.grpca.proto.v1.GetResponse;
import dev.grpca.proto.v1.IssueRequest;
import dev.grpca.proto.v1.IssueResponse;
import dev.grpca.proto.v1.ListRequest;
import dev.grpca.proto.v1.ListResponse;
import dev.grpca.proto.v1.RenewRequest;
import dev.grpca.proto.v1.RevocationReason;
import dev.grpca.proto.v1.RevokeRequest;
import dev.grpca.proto.v1.SignRequest;
import dev.grpca.proto.v1.StatusRequest;
import dev.grpca.proto.v1.StatusResponse;
import dev.grpca.proto.v1.Subject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The certificate commands: issue, sign, renew, revoke, status, get, list. */
final class CertificateCommands {
  private CertificateCommands() {}

  /** A serial: hex, 16 digits or more (colons or hyphens between them allowed). */
  private static final Pattern SERIAL = Pattern.compile("(?i)[0-9a-f]{2}([:-]?[0-9a-f]{2}){7,}");

  static boolean isSerial(String ref) {
    return SERIAL.matcher(ref).matches();
  }

  /** How an answer is printed. */
  enum Output {
    table,
    json,
    pem
  }

  /** The options of the commands that make a certificate. */
  static final class Making {
    @Option(
        names = "--profile",
        paramLabel = "PROFILE",
        description = "The profile to issue under (default: ${DEFAULT-VALUE}).")
    String profile = "default";

    @Option(names = "--dns", paramLabel = "NAME", description = "A DNS name (repeatable).")
    List<String> dns = new ArrayList<>();

    @Option(names = "--ip", paramLabel = "ADDRESS", description = "An IP address (repeatable).")
    List<String> ips = new ArrayList<>();

    @Option(names = "--email", paramLabel = "ADDRESS", description = "An email (repeatable).")
    List<String> emails = new ArrayList<>();

    @Option(names = "--uri", paramLabel = "URI", description = "A URI, e.g. SPIFFE (repeatable).")
    List<String> uris = new ArrayList<>();

    @Option(
        names = "--lifetime",
        paramLabel = "DURATION",
        description = "e.g. 90m, 24h, 30d (default: the profile's).")
    String lifetime;

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label (repeatable).")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(
        names = "--out",
        paramLabel = "DIR",
        description = "Where ca.pem, chain.pem, cert.pem (and key.pem) go (default: .).")
    Path out = Path.of(".");
  }

  @Command(
      name = "issue",
      mixinStandardHelpOptions = true,
      description =
          "Issue a certificate with a key made by the CA, and write ca.pem, chain.pem, cert.pem"
              + " and key.pem (0600) into --out, each whole or not at all.")
  static final class Issue implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Connection connection;
    @Mixin Making making;

    @Parameters(
        paramLabel = "NAME",
        description = "The certificate's resource name (unique among live certificates).")
    String name;

    @Option(
        names = "--cn",
        paramLabel = "NAME",
        description = "The subject's common name (default: the first --dns, else NAME).")
    String commonName;

    @Override
    public Integer call() throws Exception {
      Grpca grpca = Grpca.of(spec);
      String cn = commonName != null ? commonName : making.dns.isEmpty() ? name : making.dns.get(0);
      IssueRequest.Builder r =
          IssueRequest.newBuilder()
              .setProfile(making.profile)
              .setName(name)
              .setSubject(Subject.newBuilder().setCommonName(cn))
              .addAllDnsNames(making.dns)
              .addAllIpAddresses(making.ips)
              .addAllEmailAddresses(making.emails)
              .addAllUris(making.uris)
              .putAllLabels(making.labels);
      if (making.lifetime != null) {
        r.setLifetime(duration("--lifetime", making.lifetime));
      }
      try (GrpcaClient client = connection.connect(grpca.env)) {
        IssueResponse issued = client.issue(r.build());
        writeBundle(making.out, issued.getCertificate(), issued.getPrivateKeyPem());
        grpca.out.println(
            issued.getCertificate().getSerialNumber()
                + " "
                + issued.getCertificate().getName()
                + " written to "
                + making.out);
      }
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "sign",
      mixinStandardHelpOptions = true,
      description =
          "Have a CSR signed (the key stays yours), and write ca.pem, chain.pem and cert.pem into"
              + " --out.")
  static final class Sign implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Connection connection;
    @Mixin Making making;

    @Option(names = "--csr", required = true, paramLabel = "FILE", description = "The CSR (PEM).")
    Path csr;

    @Option(names = "--name", paramLabel = "NAME", description = "The resource name.")
    String name = "";

    @Override
    public Integer call() throws Exception {
      Grpca grpca = Grpca.of(spec);
      SignRequest.Builder r =
          SignRequest.newBuilder()
              .setProfile(making.profile)
              .setCsrPem(Files.readString(csr))
              .setName(name)
              .addAllDnsNames(making.dns)
              .addAllIpAddresses(making.ips)
              .addAllEmailAddresses(making.emails)
              .addAllUris(making.uris)
              .putAllLabels(making.labels);
      if (making.lifetime != null) {
        r.setLifetime(duration("--lifetime", making.lifetime));
      }
      try (GrpcaClient client = connection.connect(grpca.env)) {
        Certificate signed = client.sign(r.build()).getCertificate();
        writeBundle(making.out, signed, "");
        grpca.out.println(
            signed.getSerialNumber() + " " + signed.getName() + " written to " + making.out);
      }
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "renew",
      mixinStandardHelpOptions = true,
      description =
          "Renew a certificate (same names and key, a new serial); with --out, write the new"
              + " cert.pem, chain.pem and ca.pem there.")
  static final class Renew implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Connection connection;

    @Parameters(paramLabel = "SERIAL|NAME", description = "The certificate.")
    String ref;

    @Option(names = "--lifetime", paramLabel = "DURATION", description = "e.g. 24h, 30d.")
    String lifetime;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write the new files.")
    Path out;

    @Override
    public Integer call() throws Exception {
      Grpca grpca = Grpca.of(spec);
      RenewRequest.Builder r =
          isSerial(ref)
              ? RenewRequest.newBuilder().setSerialNumber(ref)
              : RenewRequest.newBuilder().setName(ref);
      if (lifetime != null) {
        r.setLifetime(duration("--lifetime", lifetime));
      }
      try (GrpcaClient client = connection.connect(grpca.env)) {
        Certificate renewed = client.renew(r.build()).getCertificate();
        if (out != null) {
          writeBundle(out, renewed, "");
        }
        grpca.out.println(renewed.getSerialNumber() + " " + renewed.getName());
      }
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = "Revoke a certificate: on the next CRL, and revoked in OCSP at once.")
  static final class Revoke implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Connection connection;

    @Parameters(paramLabel = "SERIAL|NAME", description = "The certificate.")
    String ref;

    @Option(
        names = "--reason",
        paramLabel = "REASON",
        description =
            "unspecified, key-compromise, ca-compromise, affiliation-changed, superseded,"
                + " cessation-of-operation, certificate-hold, privilege-withdrawn (default:"
                + " ${DEFAULT-VALUE}).")
    String reason = "unspecified";

    @Override
    public Integer call() throws Exception {
      Grpca grpca = Grpca.of(spec);
      RevocationReason why;
      try {
        why =
            RevocationReason.valueOf(
                "REVOCATION_REASON_" + reason.toUpperCase(Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.USAGE, "--reason: unknown reason '" + reason + "'");
      }
      RevokeRequest.Builder r =
          isSerial(ref)
              ? RevokeRequest.newBuilder().setSerialNumber(ref)
              : RevokeRequest.newBuilder().setName(ref);
      try (GrpcaClient client = connection.connect(grpca.env)) {
        var revoked = client.revoke(r.setReason(why).build());
        grpca.out.println(
            ref
                + " revoked at "
                + time(revoked.getRevocationTime())
                + " ("
                + revoked
                    .getRevocationReason()
                    .name()
                    .replace("REVOCATION_REASON_", "")
                    .toLowerCase(Locale.ROOT)
                    .replace('_', '-')
                + ")");
      }
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "The state of certificates (up to 1000), one line each, in order.")
  static final class Status implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Connection connection;

    @Parameters(arity = "1..*", paramLabel = "SERIAL|NAME", description = "The certificates.")
    List<String> refs;

    @Option(names = "--output", paramLabel = "FORMAT", description = "table or json.")
    Output output = Output.table;

    @Override
    public Integer call() throws Exception {
      Grpca grpca = Grpca.of(spec);
      StatusRequest.Builder r = StatusRequest.newBuilder();
      for (String ref : refs) {
        if (isSerial(ref)) {
          r.addSerialNumbers(ref);
        } else {
          r.addNames(ref);
        }
      }
      try (GrpcaClient client = connection.connect(grpca.env)) {
        StatusResponse answer = client.status(r.build());
        if (output == Output.json) {
          grpca.out.println(json(answer));
        } else {
          for (CertificateStatus s : answer.getStatusesList()) {
            grpca.out.println(
                String.join(
                    "\t",
                    s.getSerialNumber(),
                    s.getName().isEmpty() ? "-" : s.getName(),
                    state(s.getState()),
                    s.hasNotAfter() ? time(s.getNotAfter()) : "-"));
          }
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = "One certificate: its fields, its JSON, or its PEM.")
  static final class Get implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Connection connection;

    @Parameters(paramLabel = "SERIAL|NAME", description = "The certificate.")
    String ref;

    @Option(names = "--output", paramLabel = "FORMAT", description = "table, json or pem.")
    Output output = Output.table;

    @Override
    public Integer call() throws Exception {
      Grpca grpca = Grpca.of(spec);
      GetRequest r =
          isSerial(ref)
              ? GetRequest.newBuilder().setSerialNumber(ref).build()
              : GetRequest.newBuilder().setName(ref).build();
      try (GrpcaClient client = connection.connect(grpca.env)) {
        GetResponse answer = client.get(r);
        Certificate c = answer.getCertificate();
        switch (output) {
          case json -> grpca.out.println(json(answer));
          case pem -> grpca.out.print(c.getCertificatePem());
          case table -> {
            Map<String, String> rows = new LinkedHashMap<>();
            rows.put("serial", c.getSerialNumber());
            rows.put("name", c.getName());
            rows.put("subject", c.getSubject());
            rows.put("dns", String.join(", ", c.getDnsNamesList()));
            rows.put("ip", String.join(", ", c.getIpAddressesList()));
            rows.put("state", state(c.getState()));
            rows.put("not before", time(c.getNotBefore()));
            rows.put("not after", time(c.getNotAfter()));
            rows.put("profile", c.getProfile());
            rows.put("authority", c.getAuthorityId());
            rows.put("labels", c.getLabelsMap().toString());
            rows.put("sha256", c.getSha256Fingerprint());
            rows.forEach((k, v) -> grpca.out.printf("%-11s %s%n", k + ":", v));
          }
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Certificates, in the order they were issued, filtered; every page.")
  static final class ListCertificates implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Connection connection;

    @Option(names = "--profile", paramLabel = "PROFILE", description = "Issued under it.")
    String profile = "";

    @Option(names = "--authority", paramLabel = "ID", description = "Signed by it.")
    String authority = "";

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Labelled so (repeatable).")
    List<String> labels = new ArrayList<>();

    @Option(names = "--name-prefix", paramLabel = "PREFIX", description = "Names starting so.")
    String namePrefix = "";

    @Option(names = "--dns", paramLabel = "NAME", description = "With this DNS name.")
    String dns = "";

    @Option(names = "--state", paramLabel = "STATE", description = "valid, revoked or expired.")
    String state;

    @Option(names = "--limit", paramLabel = "N", description = "At most N (default: all).")
    int limit = Integer.MAX_VALUE;

    @Option(names = "--output", paramLabel = "FORMAT", description = "table, json or pem.")
    Output output = Output.table;

    @Override
    public Integer call() throws Exception {
      Grpca grpca = Grpca.of(spec);
      ListRequest.Builder r =
          ListRequest.newBuilder()
              .setProfile(profile)
              .setAuthorityId(authority)
              .addAllLabels(labels)
              .setNamePrefix(namePrefix)
              .setDnsName(dns)
              .setPageSize(Math.min(limit, 1000));
      if (state != null) {
        try {
          r.setState(
              CertificateState.valueOf("CERTIFICATE_STATE_" + state.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new CliException(ExitCodes.USAGE, "--state: unknown state '" + state + "'");
        }
      }
      List<Certificate> all = new ArrayList<>();
      int total;
      try (GrpcaClient client = connection.connect(grpca.env)) {
        ListResponse page;
        do {
          page = client.list(r.build());
          all.addAll(page.getCertificatesList());
          r.setPageToken(page.getNextPageToken());
        } while (!page.getNextPageToken().isEmpty() && all.size() < limit);
        total = page.getTotalSize();
      }
      List<Certificate> shown = all.subList(0, Math.min(limit, all.size()));
      switch (output) {
        case json ->
            grpca.out.println(
                json(
                    ListResponse.newBuilder()
                        .addAllCertificates(shown)
                        .setTotalSize(total)
                        .build()));
        case pem -> shown.forEach(c -> grpca.out.print(c.getCertificatePem()));
        case table -> {
          grpca.out.printf(
              "%-40s %-28s %-8s %-20s %s%n", "SERIAL", "NAME", "STATE", "NOT AFTER", "COMMON NAME");
          for (Certificate c : shown) {
            grpca.out.printf(
                "%-40s %-28s %-8s %-20s %s%n",
                c.getSerialNumber(),
                c.getName().isEmpty() ? "-" : c.getName(),
                state(c.getState()),
                time(c.getNotAfter()),
                c.getCommonName());
          }
        }
      }
      return ExitCodes.OK;
    }
  }

  /**
   * ca.pem (the root, what to trust), chain.pem (the issuer up to the root), cert.pem and, when
   * there is one, key.pem (0600), written whole and then renamed into place together.
   */
  static void writeBundle(Path dir, Certificate c, String privateKeyPem) throws IOException {
    Files.createDirectories(dir);
    List<String> chain = pemBlocks(c.getChainPem());
    List<AtomicFiles.Content> files = new ArrayList<>();
    files.add(content(dir.resolve("ca.pem"), chain.isEmpty() ? "" : chain.get(chain.size() - 1)));
    files.add(content(dir.resolve("chain.pem"), c.getChainPem()));
    files.add(content(dir.resolve("cert.pem"), c.getCertificatePem()));
    if (!privateKeyPem.isEmpty()) {
      files.add(
          new AtomicFiles.Content(
              dir.resolve("key.pem"), privateKeyPem.getBytes(StandardCharsets.US_ASCII), true));
    }
    AtomicFiles.writeAll(files);
  }

  private static AtomicFiles.Content content(Path file, String text) {
    return new AtomicFiles.Content(file, text.getBytes(StandardCharsets.US_ASCII), false);
  }

  /** The PEM blocks of {@code pem}, each with its END line and a newline. */
  static List<String> pemBlocks(String pem) {
    List<String> blocks = new ArrayList<>();
    int from = 0;
    String end = "-----END CERTIFICATE-----";
    for (int at = pem.indexOf(end); at >= 0; at = pem.indexOf(end, from)) {
      int begin = pem.indexOf("-----BEGIN", from);
      blocks.add(pem.substring(begin, at + end.length()) + "\n");
      from = at + end.length();
    }
    return blocks;
  }

  /** 90s, 30m, 24h, 7d, or ISO-8601 (PT24H). */
  static com.google.protobuf.Duration duration(String option, String text) {
    Duration d;
    try {
      char unit = text.charAt(text.length() - 1);
      if (Character.isDigit(unit) || text.startsWith("P") || text.startsWith("p")) {
        d = Duration.parse(text);
      } else {
        long n = Long.parseLong(text.substring(0, text.length() - 1));
        d =
            switch (unit) {
              case 's' -> Duration.ofSeconds(n);
              case 'm' -> Duration.ofMinutes(n);
              case 'h' -> Duration.ofHours(n);
              case 'd' -> Duration.ofDays(n);
              default -> throw new NumberFormatException(text);
            };
      }
    } catch (RuntimeException e) {
      throw new CliException(
          ExitCodes.USAGE, option + ": '" + text + "' is not a duration (e.g. 90m, 24h, 30d)");
    }
    return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).build();
  }

  static String json(Message m) {
    try {
      return JsonFormat.printer().print(m);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  static String state(CertificateState s) {
    return s.name().replace("CERTIFICATE_STATE_", "").toLowerCase(Locale.ROOT);
  }

  static String time(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds()).toString();
  }
}
