//! "Did you mean" for names given at run time (phases, groups, services).

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo: an edit
/// distance of at most a third of the word's length (at least 1).
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}
