//! The language of the words a person reads: Chinese or English.
//!
//! Every message has both. The caller picks one (`--lang`, or the environment's locale);
//! the checked policy carries it ([`crate::check::checked::Policy::lang`]), so that
//! everything that words a result of that policy (reasons, explanations, data errors,
//! tables) words it in that language.

/// A message in the language asked for: `say!(lang, format!(…English…), format!(…中文…))`.
/// Only the chosen language's words are made; a message cannot be written without both.
macro_rules! say {
    ($lang:expr, $en:expr, $zh:expr $(,)?) => {
        match $lang {
            $crate::lang::Lang::En => $en,
            $crate::lang::Lang::Zh => $zh,
        }
    };
}
pub(crate) use say;

/// A language polc writes in.
///
/// ```
/// use polc::Lang;
/// assert_eq!(Lang::from_env(|name| (name == "LANG").then(|| "zh_CN.UTF-8".to_string())), Lang::Zh);
/// assert_eq!(Lang::Zh.pick("award", "奖励"), "奖励");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// `zh` or `en` (and locale names: `zh_CN.UTF-8`, `en_US`); `None` for another.
    pub fn parse(text: &str) -> Option<Lang> {
        let language = text.split(['_', '-', '.', '@']).next().unwrap_or("").to_ascii_lowercase();
        match language.as_str() {
            "zh" => Some(Lang::Zh),
            "en" | "c" | "posix" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language the environment asks for: `POLC_LANG`, then the locale's
    /// (`LC_ALL`, `LC_MESSAGES`, `LANG`, in POSIX's order); English when none says.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Lang {
        if let Some(lang) = get("POLC_LANG").as_deref().and_then(Lang::parse) {
            return lang;
        }
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|name| get(name).filter(|value| !value.is_empty()))
            .find_map(|value| Lang::parse(&value))
            .unwrap_or_default()
    }

    /// This language's of two values (owned words, say).
    pub fn choose<T>(self, en: T, zh: T) -> T {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    /// The words for this language, from the two.
    pub fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    fn environment<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string())
    }

    #[test]
    fn the_environment_picks_the_language() {
        assert_eq!(Lang::from_env(environment(&[])), Lang::En);
        assert_eq!(Lang::from_env(environment(&[("LANG", "zh_CN.UTF-8")])), Lang::Zh);
        assert_eq!(Lang::from_env(environment(&[("LANG", "zh_CN.UTF-8"), ("LC_ALL", "C")])), Lang::En);
        assert_eq!(Lang::from_env(environment(&[("LC_ALL", ""), ("LANG", "zh_TW")])), Lang::Zh);
        assert_eq!(Lang::from_env(environment(&[("LANG", "en_US.UTF-8"), ("POLC_LANG", "zh")])), Lang::Zh);
        assert_eq!(Lang::from_env(environment(&[("LANG", "fr_FR.UTF-8")])), Lang::En);
    }
}
