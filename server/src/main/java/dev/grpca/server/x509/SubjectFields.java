package dev.grpca.server.x509;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/** The subject DN fields of a request, as given (empty strings for absent fields). */
public record SubjectFields(
    String commonName,
    String organization,
    String organizationalUnit,
    String country,
    String province,
    String locality,
    String emailAddress) {

  public static final SubjectFields EMPTY = new SubjectFields("", "", "", "", "", "", "");

  public SubjectFields {
    commonName = orEmpty(commonName);
    organization = orEmpty(organization);
    organizationalUnit = orEmpty(organizationalUnit);
    country = orEmpty(country);
    province = orEmpty(province);
    locality = orEmpty(locality);
    emailAddress = orEmpty(emailAddress);
  }

  /** The fields of a subject DN (the first value of each; other attributes are not kept). */
  public static SubjectFields of(X500Name name) {
    return new SubjectFields(
        first(name, BCStyle.CN),
        first(name, BCStyle.O),
        first(name, BCStyle.OU),
        first(name, BCStyle.C),
        first(name, BCStyle.ST),
        first(name, BCStyle.L),
        first(name, BCStyle.EmailAddress));
  }

  private static String first(X500Name name, ASN1ObjectIdentifier type) {
    RDN[] rdns = name.getRDNs(type);
    if (rdns.length == 0) {
      return "";
    }
    var value = rdns[0].getFirst().getValue();
    return value instanceof ASN1String ? ((ASN1String) value).getString() : value.toString();
  }

  public boolean isEmpty() {
    return equals(EMPTY);
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }
}
