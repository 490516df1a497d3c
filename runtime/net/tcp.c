/*
 * TCP for the event API over lwIP's raw API: accept, data and sent callbacks from the loop.
 * A struct uk_tcp lives from accept until the app closes it or on_close has run.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/tcp.h>
#include <lwip/tcpip.h>

#include "netapi.h"

struct uk_tcp_server {
	struct tcp_pcb *pcb;
	uk_tcp_accept_fn fn;
	void *arg;
};

struct uk_tcp {
	struct tcp_pcb *pcb;
	struct uk_tcp_callbacks cb;
	void *arg;
	int in_callback;      /* the app may close c from inside its own callbacks... */
	bool close_requested; /* ...then the close happens when the callback returns */
};

static void detach(struct uk_tcp *c)
{
	if (c->pcb) {
		tcp_arg(c->pcb, NULL);
		tcp_recv(c->pcb, NULL);
		tcp_sent(c->pcb, NULL);
		tcp_err(c->pcb, NULL);
		tcp_poll(c->pcb, NULL, 0);
		c->pcb = NULL;
	}
}

/* The pcb is already freed by lwIP when this runs. */
static void on_err(void *arg, err_t err)
{
	(void)err;
	struct uk_tcp *c = arg;
	c->pcb = NULL;
	if (c->cb.on_close)
		c->cb.on_close(c, c->arg);
	free(c);
}

/* Closes a connection the app asked to close; returns what an lwIP callback must return. */
static err_t finish_close(struct uk_tcp *c)
{
	struct tcp_pcb *pcb = c->pcb;
	detach(c);
	free(c);
	if (pcb && tcp_close(pcb) != ERR_OK) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	return ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct uk_tcp *c = arg;
	if (!p || err != ERR_OK) { /* the peer closed */
		if (p)
			pbuf_free(p);
		detach(c);
		tcp_close(pcb);
		if (c->cb.on_close)
			c->cb.on_close(c, c->arg);
		free(c);
		return ERR_OK;
	}
	c->in_callback++;
	for (struct pbuf *q = p; q && !c->close_requested; q = q->next)
		if (c->cb.on_data)
			c->cb.on_data(c, q->payload, q->len, c->arg);
	c->in_callback--;
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return c->close_requested ? finish_close(c) : ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb;
	struct uk_tcp *c = arg;
	c->in_callback++;
	if (c->cb.on_sent)
		c->cb.on_sent(c, len, c->arg);
	c->in_callback--;
	return c->close_requested ? finish_close(c) : ERR_OK;
}

/* Every 500 ms while a connection is open: a send that found no memory gets another chance
 * even when nothing is in flight (so no on_sent would come). */
static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
	return on_sent(arg, pcb, 0);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct uk_tcp_server *s = arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	struct uk_tcp *c = calloc(1, sizeof(*c));
	if (!c) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->pcb = pcb;
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	tcp_poll(pcb, on_poll, 1);
	tcp_nagle_disable(pcb); /* latency first: small replies go out at once */
	c->in_callback++;
	s->fn(c, s->arg);
	c->in_callback--;
	return c->close_requested ? finish_close(c) : ERR_OK;
}

static struct uk_tcp_server *listen_locked(uint16_t port, uk_tcp_accept_fn fn, void *arg)
{
	struct uk_tcp_server *s = calloc(1, sizeof(*s));
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
	if (!s || !pcb) {
		free(s);
		if (pcb)
			tcp_close(pcb);
		errno = ENOMEM;
		return NULL;
	}
	if (tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) {
		tcp_close(pcb);
		free(s);
		errno = EADDRINUSE;
		return NULL;
	}
	s->pcb = tcp_listen_with_backlog(pcb, TCP_DEFAULT_LISTEN_BACKLOG);
	s->fn = fn;
	s->arg = arg;
	tcp_arg(s->pcb, s);
	tcp_accept(s->pcb, on_accept);
	return s;
}

/* Thread context or a callback. */
struct uk_tcp_server *uk_tcp_listen(uint16_t port, uk_tcp_accept_fn fn, void *arg)
{
	LOCK_TCPIP_CORE();
	struct uk_tcp_server *s = listen_locked(port, fn, arg);
	UNLOCK_TCPIP_CORE();
	return s;
}

void uk_tcp_set_callbacks(struct uk_tcp *c, const struct uk_tcp_callbacks *cb, void *arg)
{
	c->cb = *cb;
	c->arg = arg;
}

static ssize_t send_locked(struct uk_tcp *c, const void *data, size_t len)
{
	if (!c->pcb)
		return -ENOTCONN;
	size_t room = tcp_sndbuf(c->pcb);
	if (len > room)
		len = room;
	if (len > 0xffff)
		len = 0xffff;
	if (len == 0)
		return 0;
	err_t e = tcp_write(c->pcb, data, (u16_t)len, TCP_WRITE_FLAG_COPY);
	if (e == ERR_MEM)
		return 0;
	if (e != ERR_OK)
		return -EIO;
	tcp_output(c->pcb);
	return (ssize_t)len;
}

ssize_t uk_tcp_send(struct uk_tcp *c, const void *data, size_t len)
{
	LOCK_TCPIP_CORE();
	ssize_t n = send_locked(c, data, len);
	UNLOCK_TCPIP_CORE();
	return n;
}

size_t uk_tcp_send_space(struct uk_tcp *c)
{
	LOCK_TCPIP_CORE();
	size_t n = c->pcb ? tcp_sndbuf(c->pcb) : 0;
	UNLOCK_TCPIP_CORE();
	return n;
}

void uk_tcp_remote(struct uk_tcp *c, struct uk_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	LOCK_TCPIP_CORE();
	if (c->pcb)
		endpoint_from_ip(ep, &c->pcb->remote_ip, c->pcb->remote_port);
	UNLOCK_TCPIP_CORE();
}

void uk_tcp_close(struct uk_tcp *c)
{
	LOCK_TCPIP_CORE();
	if (c->in_callback)
		c->close_requested = true;
	else
		finish_close(c);
	UNLOCK_TCPIP_CORE();
}
