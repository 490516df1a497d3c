# uk/update.h's bundle reader (runtime/update/update_bundle.c) with mbed TLS built for the host
# from the same Debian source and configuration as the runtime's, checking bundles made by the
# real writer: uk build --sign (bundle/ holds them, made once).
MBEDTLS := $(UK_CACHE)/src/mbedtls/tree
UPDATE_MBEDTLS := $(addprefix $(MBEDTLS)/library/,asn1parse.c asn1write.c base64.c bignum.c \
	constant_time.c ecdsa.c ecp.c ecp_curves.c hmac_drbg.c md.c oid.c pem.c pk.c pk_wrap.c \
	pkparse.c platform_util.c rsa.c rsa_internal.c sha1.c sha256.c sha512.c aes.c cipher.c \
	cipher_wrap.c gcm.c chacha20.c chachapoly.c poly1305.c platform.c)

$(OUT)/bundle/.made: $(BUILD)/bin/uk
	@mkdir -p $(OUT)/bundle/app
	rm -rf $(OUT)/bundle/app/build
	openssl ecparam -name prime256v1 -genkey -noout -out $(OUT)/bundle/sign.key
	openssl ec -in $(OUT)/bundle/sign.key -pubout -out $(OUT)/bundle/sign.pub 2>/dev/null
	openssl ecparam -name prime256v1 -genkey -noout -out $(OUT)/bundle/other.key
	openssl ec -in $(OUT)/bundle/other.key -pubout -out $(OUT)/bundle/other.pub 2>/dev/null
	printf 'name: app\nversion: 7.1.0\nsources: [main.c]\ntarget: [virt, rpi3]\n' >$(OUT)/bundle/app/uk.yaml
	printf 'int main(void)\n{\n\treturn 0;\n}\n' >$(OUT)/bundle/app/main.c
	$(BUILD)/bin/uk build $(OUT)/bundle/app --sign $(OUT)/bundle/sign.key >/dev/null
	touch $@

$(OUT)/test_update_bundle: test_update_bundle.c $(RT)/update/update_bundle.c \
		$(RT)/include/uk/update.h $(RT)/kernel/mbedtls_config.h tap.h $(OUT)/bundle/.made
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) -I$(RT)/include -I$(MBEDTLS)/include '-DMBEDTLS_CONFIG_FILE="mbedtls_config.h"' \
		test_update_bundle.c $(RT)/update/update_bundle.c $(UPDATE_MBEDTLS) -w -o $@
