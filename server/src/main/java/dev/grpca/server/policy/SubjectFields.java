package dev.grpca.server.policy;

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

  public boolean isEmpty() {
    return equals(EMPTY);
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }
}
