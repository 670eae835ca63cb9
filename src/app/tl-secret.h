/* tl-secret.h — the access token in the Secret Service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Items carry this schema name and one attribute, "url": the backend URL
 * exactly as the app stores it in the backend-url setting. */
#define TL_SECRET_SCHEMA_NAME "io.github.threadline.Threadline.Token"

#define TL_SECRET_ERROR (tl_secret_error_quark ())

typedef enum
{
  /* No Secret Service: no session bus, no keyring daemon, no portal. Show
   * the message and keep the token in memory for this session only. */
  TL_SECRET_ERROR_UNAVAILABLE,
  /* The keyring is locked and was not unlocked (or the prompt was dismissed). */
  TL_SECRET_ERROR_LOCKED,
  /* The service answered, but the operation failed. */
  TL_SECRET_ERROR_FAILED,
} TlSecretError;

GQuark    tl_secret_error_quark          (void);

/* Stores (or replaces) the token for @url in the default collection; an
 * empty @token removes the stored one, as tl_secret_clear_token_async(). */
void      tl_secret_store_token_async    (const char           *url,
                                          const char           *token,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
gboolean  tl_secret_store_token_finish   (GAsyncResult         *result,
                                          GError              **error);

/* The token for @url, or NULL: with @error set when the lookup failed,
 * without when no token is stored. Free with g_free(). */
void      tl_secret_lookup_token_async   (const char           *url,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
char     *tl_secret_lookup_token_finish  (GAsyncResult         *result,
                                          GError              **error);

/* Removes the token for @url. TRUE also when there was none. */
void      tl_secret_clear_token_async    (const char           *url,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
gboolean  tl_secret_clear_token_finish   (GAsyncResult         *result,
                                          GError              **error);

G_END_DECLS
