//! What the mock's model writes for one choice: the fixture's text (the
//! words the docs print), cut and counted as the request asks. The request
//! decides everything else about it: its `stop` sequences end it, its
//! `max_tokens` cut it (`finish_reason` `length`), its model's encoding
//! splits it into the tokens `usage` counts and streams send one by one,
//! and `logprobs` gives each token a log probability and that many
//! alternatives, drawn from a seed of the request, so that the same request
//! always gets the same answer.

use std::cell::RefCell;
use std::sync::Arc;

use foldhash::HashMap;
use openai_rest_tokens::Encoding;

/// Why a choice ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FinishReason {
    /// The text ended, or a stop sequence did.
    Stop,
    /// `max_tokens` did.
    Length,
}

impl FinishReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
        }
    }
}

/// One token of a completion.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    /// Its text (a token that is part of a UTF-8 character shows as the
    /// replacement character, as bytes the API could not print as text).
    pub(crate) text: Arc<str>,
    /// Its log probability, `<= 0`.
    pub(crate) logprob: f64,
    /// The alternatives `logprobs: k` asks for, most likely first: the
    /// token itself and `k - 1` others.
    pub(crate) top: Vec<(String, f64)>,
}

/// A choice's completion.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Completion {
    pub(crate) tokens: Vec<Token>,
    pub(crate) finish_reason: FinishReason,
}

impl Completion {
    /// Whether its text is `text`, without putting it together.
    pub(crate) fn is(&self, text: &str) -> bool {
        let mut rest = text;
        for token in &self.tokens {
            match rest.strip_prefix(&*token.text) {
                Some(after) => rest = after,
                None => return false,
            }
        }
        rest.is_empty()
    }

    /// Its text: its tokens one after the other.
    pub(crate) fn text(&self) -> String {
        self.tokens.iter().map(|token| &*token.text).collect()
    }
}

/// What the request asks of a completion.
#[derive(Clone, Debug)]
pub(crate) struct Ask<'a> {
    /// The model's encoding.
    pub(crate) encoding: Encoding,
    /// The most tokens it may have.
    pub(crate) max_tokens: u32,
    /// Sequences that end it, not included.
    pub(crate) stop: &'a [&'a str],
    /// How many alternatives to give each token (the API took up to 5).
    pub(crate) logprobs: Option<u8>,
    /// Drawn from the whole request and the choice's index.
    pub(crate) seed: u64,
}

/// Words the alternatives of a token are drawn from: each one token in
/// every encoding of 2023.
const ALTERNATIVES: &[&str] = &[
    " the", " a", " this", " that", " it", " is", " was", " test", " not", " and", " of", " to",
    " in", " for", " on", " with", " as", " be", " at", " by", " one", " all", " new", " more",
    "\n", ".", ",", "!", " I", " you", " we", " they",
];

/// The longest text whose split [`token_texts`] keeps: longer ones are rare
/// and would make the kept texts large.
const LONGEST_KEPT: usize = 4096;

/// The texts of `text`'s tokens in `encoding`. The texts the mock splits
/// are its fixtures' (and their cuts at a stop sequence) and the prompts
/// it counts: the same few, request after request (a test suite's, a load
/// test's), so each short one is split once and kept, per encoding.
///
/// Kept per thread: the runtime's threads answer requests side by side,
/// and a shared lock, or shared counts on the texts, would pass the same
/// cache lines from core to core on every request.
pub(crate) fn token_texts(encoding: Encoding, text: &str) -> Arc<[Arc<str>]> {
    type Split = HashMap<String, Arc<[Arc<str>]>>;
    thread_local! {
        static SPLIT: RefCell<[Split; 4]> = RefCell::default();
    }
    /// A bound on what all the texts kept can make a thread hold.
    const MOST: usize = 1024;
    let at = match encoding {
        Encoding::R50kBase => 0,
        Encoding::P50kBase => 1,
        Encoding::P50kEdit => 2,
        Encoding::Cl100kBase => 3,
    };
    SPLIT.with_borrow_mut(|split| {
        let split = &mut split[at];
        if let Some(texts) = split.get(text) {
            return texts.clone();
        }
        let texts: Arc<[Arc<str>]> = (encoding.encode(text).into_iter())
            .map(|token| {
                Arc::from(String::from_utf8_lossy(
                    &encoding.token_bytes(token).unwrap_or_default(),
                ))
            })
            .collect();
        if text.len() <= LONGEST_KEPT {
            if split.len() >= MOST {
                split.clear();
            }
            split.insert(text.to_owned(), texts.clone());
        }
        texts
    })
}

/// How many tokens `text` is in `encoding`: a short text's count is kept
/// (see [`token_texts`]), a long one counted each time.
pub(crate) fn count(encoding: Encoding, text: &str) -> usize {
    if text.len() > LONGEST_KEPT {
        return encoding.count(text);
    }
    token_texts(encoding, text).len()
}

/// The completion `natural` (the text the model would write unasked) makes
/// for `ask`.
pub(crate) fn complete(natural: &str, ask: &Ask<'_>) -> Completion {
    // A stop sequence ends the text where it first appears.
    let stopped = (ask.stop.iter())
        .filter(|stop| !stop.is_empty())
        .filter_map(|stop| natural.find(stop))
        .min()
        .map_or(natural, |at| &natural[..at]);
    let texts = token_texts(ask.encoding, stopped);
    // A text that fills max_tokens was cut there: the docs' example, 7
    // tokens for max_tokens 7, says `length`.
    let max = ask.max_tokens as usize;
    let (texts, finish_reason) = if texts.len() >= max {
        (&texts[..max], FinishReason::Length)
    } else {
        (&texts[..], FinishReason::Stop)
    };
    let mut rng = fastrand::Rng::with_seed(ask.seed);
    let tokens = texts
        .iter()
        .map(|text| {
            let text = text.clone();
            let Some(k) = ask.logprobs else {
                // Not asked for: not drawn.
                return Token {
                    text,
                    logprob: 0.0,
                    top: Vec::new(),
                };
            };
            // Likely, as a model that chose it would be (temperature 0
            // chose the likeliest).
            let logprob = -rng.f64() * 2.0;
            let top = alternatives(&text, logprob, usize::from(k), &mut rng);
            Token { text, logprob, top }
        })
        .collect();
    Completion {
        tokens,
        finish_reason,
    }
}

/// The token and `k - 1` other words, each less likely than the one
/// before.
fn alternatives(
    token: &str,
    logprob: f64,
    k: usize,
    rng: &mut fastrand::Rng,
) -> Vec<(String, f64)> {
    let mut top = Vec::with_capacity(k);
    if k == 0 {
        return top;
    }
    top.push((token.to_owned(), logprob));
    let mut next = logprob;
    let mut start = rng.usize(..ALTERNATIVES.len());
    while top.len() < k {
        let word = ALTERNATIVES[start % ALTERNATIVES.len()];
        start += 1;
        if top.iter().any(|(seen, _)| seen == word) {
            continue;
        }
        next -= 0.5 + rng.f64() * 2.0;
        top.push((word.to_owned(), next));
    }
    top
}

/// A seed of `parts` (the request's body, a choice's index): the same
/// parts, the same seed, on every run and machine (FNV-1a, not the
/// standard library's hasher, whose output may change between versions).
pub(crate) fn seed(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.iter().chain(&[0xff]) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCS: &str = "\n\nThis is indeed a test";

    fn ask<'a>(max_tokens: u32, stop: &'a [&'a str], logprobs: Option<u8>) -> Ask<'a> {
        Ask {
            encoding: Encoding::P50kBase,
            max_tokens,
            stop,
            logprobs,
            seed: 7,
        }
    }

    #[test]
    fn the_docs_example_is_seven_tokens_cut_by_its_max_tokens() {
        // The docs: max_tokens 7, completion_tokens 7, finish_reason length.
        let completion = complete(DOCS, &ask(7, &[], None));
        assert_eq!(completion.text(), DOCS);
        assert_eq!(completion.tokens.len(), 7);
        assert_eq!(completion.finish_reason, FinishReason::Length);
        let longer = complete(DOCS, &ask(16, &[], None));
        assert_eq!(
            (longer.text().as_str(), longer.finish_reason),
            (DOCS, FinishReason::Stop)
        );
    }

    #[test]
    fn a_completion_knows_its_text_without_putting_it_together() {
        let completion = complete(DOCS, &ask(3, &[], None));
        assert!(completion.is("\n\nThis"));
        assert!(!completion.is(DOCS));
        assert!(!completion.is("\n\nThi"));
    }

    #[test]
    fn max_tokens_cuts_at_a_token_and_says_length() {
        let completion = complete(DOCS, &ask(3, &[], None));
        assert_eq!(completion.tokens.len(), 3);
        assert_eq!(completion.finish_reason, FinishReason::Length);
        assert_eq!(completion.text(), "\n\nThis");
        assert!(complete(DOCS, &ask(0, &[], None)).tokens.is_empty());
    }

    #[test]
    fn a_stop_sequence_ends_the_text_before_it() {
        let completion = complete(DOCS, &ask(16, &[" indeed", "zzz"], None));
        assert_eq!(completion.text(), "\n\nThis is");
        assert_eq!(completion.finish_reason, FinishReason::Stop);
        // At the very start: nothing.
        assert_eq!(complete(DOCS, &ask(16, &["\n"], None)).text(), "");
    }

    #[test]
    fn logprobs_give_k_alternatives_the_token_first_and_likelier_first() {
        let completion = complete(DOCS, &ask(16, &[], Some(5)));
        for token in &completion.tokens {
            assert_eq!(token.top.len(), 5);
            assert_eq!(token.top[0], (token.text.to_string(), token.logprob));
            assert!(token.logprob <= 0.0);
            assert!(
                token.top.windows(2).all(|pair| pair[0].1 > pair[1].1),
                "{:?}",
                token.top
            );
            let mut words: Vec<_> = token.top.iter().map(|(word, _)| word).collect();
            words.dedup();
            assert_eq!(words.len(), 5);
        }
        assert!(complete(DOCS, &ask(16, &[], None)).tokens[0].top.is_empty());
    }

    #[test]
    fn the_same_seed_gives_the_same_answer_another_seed_other_logprobs() {
        let first = complete(DOCS, &ask(16, &[], Some(3)));
        assert_eq!(first, complete(DOCS, &ask(16, &[], Some(3))));
        let other = complete(
            DOCS,
            &Ask {
                seed: 8,
                ..ask(16, &[], Some(3))
            },
        );
        assert_eq!(first.text(), other.text());
        assert_ne!(first.tokens[0].logprob, other.tokens[0].logprob);
        assert_eq!(seed(&[b"a", b"b"]), seed(&[b"a", b"b"]));
        assert_ne!(seed(&[b"ab"]), seed(&[b"a", b"b"]));
    }

    #[test]
    fn the_alternatives_are_one_token_each_in_every_encoding() {
        for encoding in [
            Encoding::R50kBase,
            Encoding::P50kBase,
            Encoding::P50kEdit,
            Encoding::Cl100kBase,
        ] {
            for word in ALTERNATIVES {
                assert_eq!(encoding.count(word), 1, "{word:?} in {}", encoding.name());
            }
        }
    }
}
