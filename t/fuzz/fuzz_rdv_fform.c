/* SPDX-License-Identifier: MIT */
/*
 * freddie's form body decoder: returns n or -1, never reads past n, and a
 * decoded data field is never longer than the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rendezvous/fform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct fform f;
	ssize_t r;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	r = fform_decode(copy, size, &f);
	if (r != -1 && r != (ssize_t)size)
		abort();
	if (r > 0) {
		if (f.data != NULL && (f.data_len > size || f.data[f.data_len] != '\0'))
			abort();
		if (strlen(f.send_to) > FFORM_SENDTO_MAX)
			abort();
		fform_free(&f);
	} else if (f.data != NULL) {
		abort();
	}
	free(copy);
	return 0;
}
