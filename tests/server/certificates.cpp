#include "certificates.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace tether_test_server {
namespace {

struct OpenSslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, OpenSslFree>;

[[noreturn]] void fail(const std::string& what) {
  std::string text = "certificate generation failed: " + what;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text += "; ";
    text += buffer;
  }
  throw std::runtime_error(text);
}

constexpr long kDay = 24 * 3600;

struct CertificateSpec {
  const char* common_name;
  bool is_ca = false;
  const char* extended_key_usage = nullptr;  // "serverAuth" / "clientAuth"
  const char* subject_alt_names = nullptr;
  long not_before_seconds = -3600;  // relative to now; an hour back absorbs clock skew
  long not_after_seconds = 30 * kDay;
};

constexpr const char* kServerNames = "DNS:localhost,IP:127.0.0.1,IP:::1";

Owned<EVP_PKEY> new_p256_key() {
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) fail("EVP_EC_gen(P-256)");
  return key;
}

void add_extension(X509* certificate, X509V3_CTX& context, int nid, const char* value) {
  Owned<X509_EXTENSION> extension(X509V3_EXT_nconf_nid(nullptr, &context, nid, value));
  if (!extension || !X509_add_ext(certificate, extension.get(), -1)) fail(std::string("extension ") + value);
}

void set_random_serial(X509* certificate) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) fail("RAND_bytes");
  bytes[0] &= 0x7f;  // positive
  Owned<BIGNUM> serial(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate))) fail("serial number");
}

// Issued by `issuer`/`issuer_key`, or self-signed when issuer is null.
Owned<X509> make_certificate(const CertificateSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  Owned<X509> certificate(X509_new());
  if (!certificate || !X509_set_version(certificate.get(), X509_VERSION_3)) fail("X509_new");
  set_random_serial(certificate.get());
  if (!X509_gmtime_adj(X509_getm_notBefore(certificate.get()), spec.not_before_seconds) ||
      !X509_gmtime_adj(X509_getm_notAfter(certificate.get()), spec.not_after_seconds))
    fail("validity");
  if (!X509_set_pubkey(certificate.get(), key)) fail("X509_set_pubkey");

  X509_NAME* subject = X509_get_subject_name(certificate.get());
  if (!X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                                  reinterpret_cast<const unsigned char*>("tether tests"), -1, -1, 0) ||
      !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                  reinterpret_cast<const unsigned char*>(spec.common_name), -1, -1, 0))
    fail("subject name");
  if (!X509_set_issuer_name(certificate.get(), issuer ? X509_get_subject_name(issuer) : subject)) fail("issuer name");

  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer ? issuer : certificate.get(), certificate.get(), nullptr, nullptr, 0);
  add_extension(certificate.get(), context, NID_basic_constraints, spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add_extension(certificate.get(), context, NID_key_usage,
                spec.is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  add_extension(certificate.get(), context, NID_subject_key_identifier, "hash");
  if (issuer) add_extension(certificate.get(), context, NID_authority_key_identifier, "keyid:always");
  if (spec.extended_key_usage) add_extension(certificate.get(), context, NID_ext_key_usage, spec.extended_key_usage);
  if (spec.subject_alt_names) add_extension(certificate.get(), context, NID_subject_alt_name, spec.subject_alt_names);

  if (X509_sign(certificate.get(), issuer ? issuer_key : key, EVP_sha256()) <= 0) fail("X509_sign");
  return certificate;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

CertificateAndKey to_pem(X509* certificate, EVP_PKEY* key) {
  Owned<BIO> cert_bio(BIO_new(BIO_s_mem()));
  Owned<BIO> key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || !PEM_write_bio_X509(cert_bio.get(), certificate) ||
      !PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr))
    fail("PEM encoding");
  return {bio_text(cert_bio.get()), bio_text(key_bio.get())};
}

CertificateAndKey issue(const CertificateSpec& spec, X509* issuer, EVP_PKEY* issuer_key) {
  Owned<EVP_PKEY> key = new_p256_key();
  Owned<X509> certificate = make_certificate(spec, key.get(), issuer, issuer_key);
  return to_pem(certificate.get(), key.get());
}

void write_file(const std::filesystem::path& path, const std::string& content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot write " + path.string());
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      throw std::system_error(error, std::generic_category(), "cannot write " + path.string());
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

void write_pair(const std::filesystem::path& dir, const char* stem, const CertificateAndKey& pair) {
  write_file(dir / (std::string(stem) + ".pem"), pair.certificate_pem, 0644);
  write_file(dir / (std::string(stem) + ".key"), pair.key_pem, 0600);
}

Owned<X509> parse_certificate(const std::string& pem) {
  Owned<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Owned<X509> certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!certificate) fail("reading back the CA certificate");
  return certificate;
}

}  // namespace

TestPki make_test_pki() {
  TestPki pki;
  Owned<EVP_PKEY> ca_key = new_p256_key();
  CertificateSpec ca_spec{"tether test CA"};
  ca_spec.is_ca = true;
  ca_spec.not_after_seconds = 365 * kDay;
  Owned<X509> ca = make_certificate(ca_spec, ca_key.get(), nullptr, nullptr);
  pki.ca = to_pem(ca.get(), ca_key.get());

  CertificateSpec server{"localhost"};
  server.extended_key_usage = "serverAuth";
  server.subject_alt_names = kServerNames;
  pki.server = issue(server, ca.get(), ca_key.get());

  CertificateSpec client{"tether test client"};
  client.extended_key_usage = "clientAuth";
  pki.client = issue(client, ca.get(), ca_key.get());

  CertificateSpec wrong_host{"wrong.example"};
  wrong_host.extended_key_usage = "serverAuth";
  wrong_host.subject_alt_names = "DNS:wrong.example";
  pki.wrong_host = issue(wrong_host, ca.get(), ca_key.get());

  CertificateSpec expired = server;
  expired.not_before_seconds = -30 * kDay;
  expired.not_after_seconds = -kDay;
  pki.expired = issue(expired, ca.get(), ca_key.get());

  pki.self_signed = issue(server, nullptr, nullptr);
  return pki;
}

PkiFiles write_test_pki(const TestPki& pki, const std::filesystem::path& dir) {
  write_file(dir / "ca.pem", pki.ca.certificate_pem, 0644);  // the CA key never leaves the process
  write_pair(dir, "server", pki.server);
  write_pair(dir, "client", pki.client);
  write_pair(dir, "wrong_host", pki.wrong_host);
  write_pair(dir, "expired", pki.expired);
  write_pair(dir, "self_signed", pki.self_signed);
  std::filesystem::path absolute = std::filesystem::absolute(dir);
  return {(absolute / "ca.pem").string(), (absolute / "client.pem").string(), (absolute / "client.key").string()};
}

boost::asio::ssl::context make_server_tls_context(const CertificateAndKey& identity,
                                                  const std::optional<std::string>& client_ca_pem) {
  namespace ssl = boost::asio::ssl;
  ssl::context context(ssl::context::tls_server);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  context.use_certificate_chain(boost::asio::buffer(identity.certificate_pem));
  context.use_private_key(boost::asio::buffer(identity.key_pem), ssl::context::pem);
  // Needed once peers are verified: without it OpenSSL refuses to resume sessions.
  static const unsigned char session_context[] = "tether-test-server";
  SSL_CTX_set_session_id_context(context.native_handle(), session_context, sizeof session_context - 1);
  if (client_ca_pem) {
    context.add_certificate_authority(boost::asio::buffer(*client_ca_pem));
    Owned<X509> ca = parse_certificate(*client_ca_pem);
    if (!SSL_CTX_add_client_CA(context.native_handle(), ca.get())) fail("SSL_CTX_add_client_CA");
    context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return context;
}

}  // namespace tether_test_server
