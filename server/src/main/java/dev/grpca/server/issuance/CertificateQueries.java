package dev.grpca.server.issuance;

import dev.grpca.server.error.CaException;
import dev.grpca.server.error.ErrorKind;
import dev.grpca.server.store.CertificateQuery;
import dev.grpca.server.store.CertificateStore;
import dev.grpca.server.store.ResourceNames;
import dev.grpca.server.store.Standing;
import dev.grpca.server.store.StoredCertificate;
import dev.grpca.server.x509.SerialNumbers;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Get, Status and List: reading what was issued. */
public final class CertificateQueries {
  static final int MAX_STATUS = 1000;
  static final int MAX_PAGE = 1000;
  static final int DEFAULT_PAGE = 100;

  private final CertificateStore store;
  private final Clock clock;

  public CertificateQueries(CertificateStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /** What List was asked for; null filters match everything. */
  public record ListOptions(
      int pageSize,
      String pageToken,
      String namePrefix,
      String commonName,
      String dnsName,
      String label,
      List<String> labels,
      String profile,
      String authorityId,
      Standing standing,
      Instant expireBefore,
      Instant expireAfter) {}

  /** One page; {@code nextPageToken} is empty on the last. */
  public record Page(List<StoredCertificate> certificates, String nextPageToken, long totalSize) {}

  /**
   * The state of one serial or name, as asked for (the other is empty): {@code certificate} is
   * empty for serials never issued here and names no certificate holds.
   */
  public record Status(String serialNumber, String name, Optional<StoredCertificate> certificate) {}

  /**
   * The certificate holding resource name {@code name}, in any state: a PENDING row holds its name
   * too, which is what a check that the name is free must see.
   */
  public Optional<StoredCertificate> findByName(String name) {
    return store.findByName(name);
  }

  /**
   * The issued certificate a request names by {@code serialText} or by {@code name}, exactly one of
   * them; NOT_FOUND when there is none. {@code serialField} is the request's serial field.
   */
  public StoredCertificate get(String serialField, String serialText, String name) {
    if (!serialText.isEmpty() && !name.isEmpty()) {
      throw CaException.invalid(
          "name", "give serial_number or name, not both (they name one certificate)");
    }
    if (name.isEmpty()) {
      if (serialText.isEmpty()) {
        throw CaException.invalid(serialField, "required: a serial number, or a name");
      }
      String serial = SerialNumbers.requireHex(serialField, serialText);
      return find(serial).orElseThrow(() -> SerialNumbers.notIssuedHere(serial));
    }
    ResourceNames.require("name", name);
    return store
        .findByName(name)
        .filter(StoredCertificate::inInventory)
        .orElseThrow(
            () ->
                CaException.field(
                    ErrorKind.NOT_FOUND, "name", "no certificate is named '" + name + "'"));
  }

  public StoredCertificate get(String serialText) {
    String serial = SerialNumbers.requireHex("serial_number", serialText);
    return find(serial).orElseThrow(() -> SerialNumbers.notIssuedHere(serial));
  }

  /**
   * The issued certificate with the normalized serial {@code serial}, if there is one in the
   * inventory (not deleted).
   */
  /** The auto-renewal choice {@code serial} was issued with ("ON", "OFF"; empty: its profile's). */
  public Optional<String> renewChoice(String serial) {
    return store.renewChoice(serial);
  }

  public Optional<StoredCertificate> find(String serial) {
    return store.find(serial).filter(StoredCertificate::inInventory);
  }

  /** The status of each serial, then of each name, in the order asked. */
  public List<Status> status(List<String> serialTexts, List<String> names) {
    int asked = serialTexts.size() + names.size();
    if (asked == 0) {
      throw CaException.invalid(
          "serial_numbers", "required: 1 to " + MAX_STATUS + " serials or names");
    }
    if (asked > MAX_STATUS) {
      throw CaException.field(
          ErrorKind.RESOURCE_EXHAUSTED,
          serialTexts.isEmpty() ? "names" : "serial_numbers",
          asked + " serials and names (expected: at most " + MAX_STATUS + " per call)");
    }
    List<String> serials = new ArrayList<>();
    for (int i = 0; i < serialTexts.size(); i++) {
      serials.add(SerialNumbers.requireHex("serial_numbers[" + i + "]", serialTexts.get(i)));
    }
    for (int i = 0; i < names.size(); i++) {
      ResourceNames.require("names[" + i + "]", names.get(i));
    }
    Map<String, StoredCertificate> bySerial =
        store.findAll(serials).stream()
            .collect(Collectors.toMap(StoredCertificate::serialNumber, Function.identity()));
    Map<String, StoredCertificate> byName =
        store.findAllByName(names).stream()
            .collect(Collectors.toMap(StoredCertificate::name, Function.identity()));
    List<Status> out = new ArrayList<>(asked);
    serials.forEach(s -> out.add(new Status(s, "", Optional.ofNullable(bySerial.get(s)))));
    names.forEach(n -> out.add(new Status("", n, Optional.ofNullable(byName.get(n)))));
    return out;
  }

  public Page list(ListOptions o) {
    int size = o.pageSize() == 0 ? DEFAULT_PAGE : o.pageSize();
    if (size < 0) {
      throw CaException.invalid("page_size", size + " (expected: 0..." + MAX_PAGE + ")");
    }
    if (size > MAX_PAGE) {
      throw CaException.field(
          ErrorKind.RESOURCE_EXHAUSTED,
          "page_size",
          size + " (expected: at most " + MAX_PAGE + ")");
    }
    Map<String, String> labels = new java.util.LinkedHashMap<>();
    if (o.label() != null) {
      addLabel(labels, "label", o.label());
    }
    for (int i = 0; i < o.labels().size(); i++) {
      addLabel(labels, "labels[" + i + "]", o.labels().get(i));
    }
    if (o.namePrefix() != null) {
      checkNamePrefix(o.namePrefix());
    }
    CertificateQuery query =
        new CertificateQuery(
            o.namePrefix(),
            o.commonName(),
            o.dnsName(),
            labels,
            o.profile(),
            o.authorityId(),
            o.standing(),
            o.expireBefore(),
            o.expireAfter(),
            clock.instant(),
            decode(o.pageToken()));
    List<StoredCertificate> rows = store.list(query, size + 1);
    boolean more = rows.size() > size;
    List<StoredCertificate> page = more ? rows.subList(0, size) : rows;
    String next = more ? encode(page.get(page.size() - 1)) : "";
    return new Page(List.copyOf(page), next, store.count(query));
  }

  /** A label selector: each "key=value" of {@code texts} (field {@code field}[i]), all to match. */
  public static Map<String, String> selector(String field, List<String> texts) {
    Map<String, String> labels = new java.util.LinkedHashMap<>();
    for (int i = 0; i < texts.size(); i++) {
      addLabel(labels, field + "[" + i + "]", texts.get(i));
    }
    return labels;
  }

  /** Up to {@code limit} certificates in the inventory that carry all of {@code labels}. */
  public List<StoredCertificate> labelled(Map<String, String> labels, int limit) {
    return store.list(
        new CertificateQuery(
            null, null, null, labels, null, null, null, null, null, clock.instant(), null),
        limit);
  }

  /** Adds "key=value" to {@code labels}; a key asked for twice with two values is refused. */
  private static void addLabel(Map<String, String> labels, String field, String text) {
    int eq = text.indexOf('=');
    if (eq <= 0) {
      throw CaException.invalid(field, "'" + text + "' (expected: key=value)");
    }
    String key = text.substring(0, eq);
    String value = text.substring(eq + 1);
    String before = labels.put(key, value);
    if (before != null && !before.equals(value)) {
      throw CaException.invalid(
          field, "'" + key + "' is asked to be both '" + before + "' and '" + value + "'");
    }
  }

  /** A prefix of a well-formed name: the characters names have, at most as many. */
  private static void checkNamePrefix(String prefix) {
    if (prefix.length() > ResourceNames.MAX_LENGTH || !prefix.matches("[a-z0-9.-]+")) {
      throw CaException.invalid(
          "name_prefix",
          "expected: up to " + ResourceNames.MAX_LENGTH + " lower-case letters, digits, '-', '.'");
    }
  }

  private static String encode(StoredCertificate last) {
    String raw =
        "v1:"
            + last.issueTime().getEpochSecond()
            + ":"
            + last.issueTime().getNano()
            + ":"
            + last.serialNumber();
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  private static CertificateQuery.Cursor decode(String token) {
    if (token == null || token.isEmpty()) {
      return null;
    }
    try {
      String[] parts =
          new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split(":");
      if (parts.length != 4 || !parts[0].equals("v1")) {
        throw new IllegalArgumentException("shape");
      }
      Instant time = Instant.ofEpochSecond(Long.parseLong(parts[1]), Long.parseLong(parts[2]));
      return new CertificateQuery.Cursor(time, SerialNumbers.requireHex("page_token", parts[3]));
    } catch (IllegalArgumentException e) {
      throw CaException.invalid("page_token", "not a token from a previous List response");
    }
  }
}
