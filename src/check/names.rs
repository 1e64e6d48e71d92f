//! The scope of a policy: its enums and inputs by name, and which inputs some rule reads.

use super::checked::{EnumDef, EnumId, Input, InputId, Key, Type, TypeName, Validity};
use crate::diag::{Code, Diagnostic, Suggester};
use crate::syntax::ast::Name;
use std::collections::HashMap;

#[derive(Default)]
pub(super) struct Scope {
    pub enums: Vec<EnumDef>,
    pub enum_by_name: HashMap<String, EnumId>,
    pub inputs: Vec<Input>,
    pub input_by_name: HashMap<String, InputId>,
    /// Named values declared so far, with their types: a value sees only earlier ones.
    pub value_by_name: HashMap<String, (usize, Type)>,
    pub used: Vec<bool>,
    /// Inputs whose declared type is unknown: their uses are not checked further, so the
    /// one E0203 is not echoed at every use.
    pub untyped: std::collections::HashSet<InputId>,
    pub validity: Option<Validity>,
    /// "Did you mean", with its work bounded over the whole file.
    pub suggester: Suggester,
}

/// The words a key list may use besides input names.
pub(super) const BUILTIN_KEYS: &[&str] = &["recipient", "tier", "year"];

impl Scope {
    pub fn type_name(&self, ty: Type) -> String {
        TypeName(ty, &self.enums).to_string()
    }

    /// [`Scope::type_name`] in Chinese.
    pub fn type_name_zh(&self, ty: Type) -> String {
        match ty {
            Type::Money => "金额".into(),
            Type::Ratio => "比例".into(),
            Type::Integer => "整数".into(),
            Type::Quantity => "数量".into(),
            Type::PerUnit => "单价".into(),
            Type::Bool => "是/否".into(),
            Type::Date => "日期".into(),
            Type::Text => "文本".into(),
            Type::Entity => "主体".into(),
            Type::Enum(id) => match self.enums.get(id) {
                Some(def) => format!("枚举 `{}`", def.name),
                None => "枚举".into(),
            },
        }
    }

    /// The input called `name`, marked as used; an E0201 diagnostic when there is none.
    pub fn input(&mut self, name: &Name) -> Result<InputId, Box<Diagnostic>> {
        match self.input_by_name.get(&name.text) {
            Some(&id) => {
                if let Some(used) = self.used.get_mut(id) {
                    *used = true;
                }
                Ok(id)
            }
            None => Err(Box::new(self.unknown_input(name))),
        }
    }

    pub fn input_type(&self, id: InputId) -> Option<Type> {
        self.inputs.get(id).map(|input| input.ty)
    }

    fn unknown_input(&self, name: &Name) -> Diagnostic {
        let mut diagnostic = Diagnostic::new(
            Code::UnknownName,
            format!("no input is called `{}`", name.text),
            name.span,
            "unknown name",
        )
        .in_chinese(format!("没有名为 `{}` 的申报数据", name.text), "未知的名称");
        let enum_values = self.enums.iter().map(|def| def.values.len()).sum();
        let owner = || {
            self.suggester
                .spend(enum_values)
                .then(|| self.enums.iter().find(|def| def.values.iter().any(|value| value.name == name.text)))
                .flatten()
        };
        if let Some(suggestion) =
            self.suggester.did_you_mean(&name.text, self.inputs.iter().map(|input| input.name.as_str()))
        {
            diagnostic = diagnostic.with_suggestion(suggestion);
        } else if let Some(owner) = owner() {
            diagnostic = diagnostic
                .with_help(format!(
                    "`{}` is a value of enum `{}`: test an input with `INPUT is {}`",
                    name.text, owner.name, name.text
                ))
                .help_in_chinese(format!(
                    "`{}` 是枚举 `{}` 的取值：请用 `申报数据 is {}` 来判断",
                    name.text, owner.name, name.text
                ));
        } else if let Some(form) = existing_form(&name.text) {
            diagnostic = diagnostic.with_help(form);
        } else {
            diagnostic = diagnostic
                .with_help(format!("declare it: `input {}: TYPE`", name.text))
                .help_in_chinese(format!("请先声明：`input {}: 类型`", name.text));
        }
        diagnostic
    }

    /// The position of `value` in enum `id`; an E0306 diagnostic when the enum lacks it.
    pub fn enum_value(&self, id: EnumId, value: &Name) -> Result<u32, Box<Diagnostic>> {
        let Some(def) = self.enums.get(id) else {
            return Err(Box::new(Diagnostic::new(Code::NotInEnum, "unknown enum", value.span, "here")));
        };
        if let Some(position) = def.values.iter().position(|candidate| candidate.name == value.text) {
            return u32::try_from(position)
                .map_err(|_| Box::new(Diagnostic::new(Code::NotInEnum, "enum too large", value.span, "here")));
        }
        let mut diagnostic = Diagnostic::new(
            Code::NotInEnum,
            format!("`{}` is not a value of enum `{}`", value.text, def.name),
            value.span,
            "not in the enum",
        )
        .in_chinese(format!("`{}` 不是枚举 `{}` 的取值", value.text, def.name), "不在枚举中");
        diagnostic = match self
            .suggester
            .did_you_mean(&value.text, def.values.iter().map(|candidate| candidate.name.as_str()))
        {
            Some(suggestion) => diagnostic.with_suggestion(suggestion),
            None => {
                let values: Vec<String> = def.values.iter().map(|candidate| format!("`{}`", candidate.name)).collect();
                diagnostic
                    .with_help(format!("enum `{}` has: {}", def.name, values.join(", ")))
                    .help_in_chinese(format!("枚举 `{}` 的取值有：{}", def.name, values.join("、")))
            }
        };
        Err(Box::new(diagnostic))
    }

    /// Resolves `once`, class and cap keys. `tier_allowed` says whether `tier` means
    /// something here (only for a clause whose amount is a tier table).
    pub fn keys(&mut self, names: &[Name], tier_allowed: bool, diagnostics: &mut Vec<Diagnostic>) -> Vec<Key> {
        let mut keys = Vec::new();
        for name in names {
            let key = match name.text.as_str() {
                "recipient" => Key::Recipient,
                "year" => Key::Year,
                "tier" if tier_allowed => Key::Tier,
                "tier" => {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::UnknownKey,
                            "`tier` is a key only for an amount chosen by `tiers`",
                            name.span,
                            "no tier here",
                        )
                        .with_help("key by `recipient`, `year` or an input")
                        .in_chinese("`tier` 只能用于按 `tiers` 确定的金额", "这里没有档次")
                        .help_in_chinese("请按 `recipient`、`year` 或某项申报数据分组"),
                    );
                    continue;
                }
                text => match self.input_by_name.get(text) {
                    Some(&id) => {
                        if let Some(used) = self.used.get_mut(id) {
                            *used = true;
                        }
                        Key::Input(id)
                    }
                    None => {
                        let candidates =
                            BUILTIN_KEYS.iter().copied().chain(self.inputs.iter().map(|input| input.name.as_str()));
                        let mut diagnostic = Diagnostic::new(
                            Code::UnknownKey,
                            format!("`{text}` is not a key"),
                            name.span,
                            "unknown key",
                        )
                        .in_chinese(format!("`{text}` 不是可用的分组键"), "未知的键");
                        diagnostic = match self.suggester.did_you_mean(text, candidates) {
                            Some(suggestion) => diagnostic.with_suggestion(suggestion),
                            None => diagnostic
                                .with_help("a key is `recipient`, `year`, `tier` or an input's name")
                                .help_in_chinese("分组键可以是 `recipient`、`year`、`tier` 或某项申报数据的名称"),
                        };
                        diagnostics.push(diagnostic);
                        continue;
                    }
                },
            };
            keys.push(key);
        }
        keys
    }
}

/// The form polc has for a word an analyst writes as if it were a function or keyword
/// (`lesser of a and b`, `total`), when the word names no input.
fn existing_form(word: &str) -> Option<&'static str> {
    Some(match word {
        "least" | "lesser" | "smaller" | "minimum" | "lowest" => {
            "the least of several values is `min(a, b, …)`: `min(30% of contract_amount, 200万)`"
        }
        "greatest" | "greater" | "larger" | "maximum" => "the greatest of several values is `max(a, b, …)`",
        "total" | "sum" | "overall" | "pool" => {
            "a cap over the whole batch is a cap without `per`: `cap 500万 over 1.1`; a sum is `a + b`"
        }
        "third" | "half" | "quarter" => "a fraction is `1/3`, `三分之一` or `50%`: `1/3 of city_subsidy`",
        "yearly" | "annually" | "each_year" => {
            "a yearly award is `once per recipient, year`; a yearly cap is `cap … per recipient, year`"
        }
        _ => return None,
    })
}
