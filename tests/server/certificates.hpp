// The test PKI, made fresh at every start with the OpenSSL 3 API (EC P-256 keys): a CA, the
// certificates the TLS listeners present, and a client certificate for mutual TLS.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace tether_test_server {

struct CertificateAndKey {
  std::string certificate_pem;
  std::string key_pem;  // PKCS#8
};

struct TestPki {
  CertificateAndKey ca;
  CertificateAndKey server;       // from the CA; SAN DNS:localhost, IP:127.0.0.1, IP:::1
  CertificateAndKey client;       // from the CA; for clientAuth
  CertificateAndKey wrong_host;   // from the CA; SAN DNS:wrong.example only
  CertificateAndKey expired;      // from the CA; same names as server, validity ended yesterday
  CertificateAndKey self_signed;  // same names as server, signed by its own key
};

// Throws std::runtime_error carrying OpenSSL's error text.
TestPki make_test_pki();

struct PkiFiles {
  std::string ca_file, client_cert_file, client_key_file;  // absolute paths
};

// Writes every certificate and key of `pki` as PEM into `dir` (see README.md for the names).
PkiFiles write_test_pki(const TestPki& pki, const std::filesystem::path& dir);

// A TLS server context presenting `identity`. With `client_ca_pem`, clients must present a
// certificate issued by that CA.
boost::asio::ssl::context make_server_tls_context(const CertificateAndKey& identity,
                                                  const std::optional<std::string>& client_ca_pem);

}  // namespace tether_test_server
