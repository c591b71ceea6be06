// The token usage the stub's realtime model reports in every `response.done`: fixed numbers, so a
// gateway's accounting can be asserted exactly. A spoken answer (completed, or cancelled by a
// barge-in or response.cancel) reports AUDIO_RESPONSE_USAGE, a function call
// FUNCTION_CALL_RESPONSE_USAGE, a failed response (a scripted error) FAILED_RESPONSE_USAGE.

export interface RealtimeUsage {
  total_tokens: number;
  input_tokens: number;
  output_tokens: number;
  input_token_details: { text_tokens: number; audio_tokens: number; cached_tokens: number };
  output_token_details: { text_tokens: number; audio_tokens: number };
}

export const AUDIO_RESPONSE_USAGE: RealtimeUsage = {
  total_tokens: 200,
  input_tokens: 120,
  output_tokens: 80,
  input_token_details: { text_tokens: 20, audio_tokens: 100, cached_tokens: 0 },
  output_token_details: { text_tokens: 20, audio_tokens: 60 },
};

export const FUNCTION_CALL_RESPONSE_USAGE: RealtimeUsage = {
  total_tokens: 140,
  input_tokens: 120,
  output_tokens: 20,
  input_token_details: { text_tokens: 20, audio_tokens: 100, cached_tokens: 0 },
  output_token_details: { text_tokens: 20, audio_tokens: 0 },
};

export const FAILED_RESPONSE_USAGE: RealtimeUsage = {
  total_tokens: 0,
  input_tokens: 0,
  output_tokens: 0,
  input_token_details: { text_tokens: 0, audio_tokens: 0, cached_tokens: 0 },
  output_token_details: { text_tokens: 0, audio_tokens: 0 },
};
