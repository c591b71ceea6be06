// The caller's address as the gateway saw it, handed to route handlers in a header the gateway sets
// itself (a client-sent one is overwritten, so it cannot be forged).
export const CLIENT_IP_HEADER = "x-soma-client-ip";
