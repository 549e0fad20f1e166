/*
 * link_delay: holds the packets of netfilter queues for a set time before letting them through: the
 * link delay of harness/netns/region-network.ts, on kernels without tc netem (this machine's has none;
 * its iptables has the NFQUEUE target). Only each packet's id is read, never its payload.
 *
 * Usage: link_delay QUEUE...   then, on stdin, lines "QUEUE DELAY_MS JITTER_MS" set a queue's delay
 * (0 until set). A packet leaves at its arrival + delay ± jitter, never before the packet ahead of it
 * in the same queue, so jitter does not reorder. Prints "ready" once every queue is bound.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUEUES 64
#define RING 65536

struct held { uint32_t id; int64_t due_us; };
struct queue {
  int num;
  struct nfq_q_handle *qh;
  int64_t delay_us, jitter_us, last_due_us;
  struct held ring[RING];
  size_t head, tail; /* held packets, in arrival order */
};

static struct queue queues[MAX_QUEUES];
static int nqueues;

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg;
  struct queue *q = data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  size_t next = (q->tail + 1) % RING;
  if (q->delay_us == 0 || next == q->head) return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
  int64_t jitter = q->jitter_us ? (int64_t)(random() % (2 * q->jitter_us + 1)) - q->jitter_us : 0;
  int64_t due = now_us() + q->delay_us + jitter;
  if (due < q->last_due_us) due = q->last_due_us;
  q->last_due_us = due;
  q->ring[q->tail] = (struct held){id, due};
  q->tail = next;
  return 0;
}

/* Releases what is due; returns ms until the next packet is, or -1 when none is held. */
static int release_due(void) {
  int64_t now = now_us(), next = -1;
  for (int i = 0; i < nqueues; i++) {
    struct queue *q = &queues[i];
    while (q->head != q->tail && q->ring[q->head].due_us <= now) {
      nfq_set_verdict(q->qh, q->ring[q->head].id, NF_ACCEPT, 0, NULL);
      q->head = (q->head + 1) % RING;
    }
    if (q->head != q->tail && (next < 0 || q->ring[q->head].due_us < next)) next = q->ring[q->head].due_us;
  }
  if (next < 0) return -1;
  return (int)((next - now + 999) / 1000);
}

static void read_command(char *line) {
  int num, delay, jitter;
  if (sscanf(line, "%d %d %d", &num, &delay, &jitter) != 3 || delay < 0 || jitter < 0 || jitter > delay) {
    fprintf(stderr, "link_delay: not 'QUEUE DELAY_MS JITTER_MS' (jitter <= delay): %s", line);
    return;
  }
  for (int i = 0; i < nqueues; i++) {
    if (queues[i].num != num) continue;
    queues[i].delay_us = (int64_t)delay * 1000;
    queues[i].jitter_us = (int64_t)jitter * 1000;
    printf("set %d %d %d\n", num, delay, jitter);
    fflush(stdout);
    return;
  }
  fprintf(stderr, "link_delay: no queue %d\n", num);
}

int main(int argc, char **argv) {
  if (argc < 2 || argc - 1 > MAX_QUEUES) {
    fprintf(stderr, "usage: link_delay QUEUE... (at most %d)\n", MAX_QUEUES);
    return 2;
  }
  struct nfq_handle *h = nfq_open();
  if (!h) { perror("link_delay: nfq_open"); return 1; }
  for (int i = 1; i < argc; i++) {
    struct queue *q = &queues[nqueues];
    q->num = atoi(argv[i]);
    q->qh = nfq_create_queue(h, q->num, &on_packet, q);
    if (!q->qh) { fprintf(stderr, "link_delay: cannot bind queue %d: %s\n", q->num, strerror(errno)); return 1; }
    nfq_set_mode(q->qh, NFQNL_COPY_META, 0);
    nfq_set_queue_maxlen(q->qh, RING - 1);
    /* GSO packets whole (the kernel would otherwise segment them first), and through rather than dropped should the queue fill. */
    nfq_set_queue_flags(q->qh, NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN);
    nqueues++;
  }
  int fd = nfq_fd(h);
  printf("ready\n");
  fflush(stdout);
  char buf[65536] __attribute__((aligned));
  char line[256];
  size_t linelen = 0;
  for (;;) {
    struct pollfd fds[2] = {{fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    int wait = release_due();
    if (poll(fds, 2, wait) < 0 && errno != EINTR) { perror("link_delay: poll"); return 1; }
    if (fds[0].revents & POLLIN) {
      ssize_t n;
      while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) nfq_handle_packet(h, buf, (int)n);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) fprintf(stderr, "link_delay: recv: %s\n", strerror(errno));
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      char c;
      ssize_t n = read(STDIN_FILENO, &c, 1);
      if (n <= 0) break; /* stdin closed: the harness is gone */
      if (linelen < sizeof line - 1) line[linelen++] = c;
      if (c == '\n') { line[linelen] = 0; read_command(line); linelen = 0; }
    }
  }
  /* Whatever is still held goes through rather than being dropped. */
  for (int i = 0; i < nqueues; i++)
    for (struct queue *q = &queues[i]; q->head != q->tail; q->head = (q->head + 1) % RING) nfq_set_verdict(q->qh, q->ring[q->head].id, NF_ACCEPT, 0, NULL);
  nfq_close(h);
  return 0;
}
