/*
 * fuzz_keys.h: the public halves of keys/rsa-test.pem and keys/ec-test.pem,
 * test keys used nowhere else; tests/fuzz/make-corpus signs seed tokens
 * with the private halves.
 */
#ifndef PRODREC_FUZZ_FUZZ_KEYS_H
#define PRODREC_FUZZ_FUZZ_KEYS_H

static const char rsa_public_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlPyqjriJUmXEpNhTWMZ0\n"
	"6IZiQ9hHz0ST8+zHch6MsOldj6/D8sVMDCHSF34/8emic1hq24x2QHVH5JYp80fC\n"
	"CAUL+qif38S31PRK+FeomEINR4r0NaAu+zM9/6l9Yq8bzoHNarRnNPaG60EldAMP\n"
	"8VmOtMUTNFmyhe2OicWMFzKap2rmKrkEzbU2bLmmv607Q4tFPDBXifcqHljKF9AK\n"
	"bGLE6IjZq3saozF997idy19dzRI0vUL7iF4+SyE4gGoBMgcbMvGmboK33BZJPRc1\n"
	"SkLOqJ1CBWUeBCUHVhQset6BJHnhvU3IL/1k8pJMyWD3AsYrCZQ1i7YgTGQUyCT9\n"
	"7QIDAQAB\n"
	"-----END PUBLIC KEY-----\n"
;

static const char ec_public_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEz0m37VOLBO56VP5OeRJtv0AlqnLd\n"
	"h2wCESMvjNbhEUc+uPQ31VL5VYX6jRcEtGiqzYOh0R740kTY6wNmO8pSAQ==\n"
	"-----END PUBLIC KEY-----\n"
;

#endif
