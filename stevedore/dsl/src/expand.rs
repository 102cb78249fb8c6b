//! Code generation: rendered chunks in, a Rust block expression building a `Script` out.
//!
//! Static text becomes byte-string literals pushed as they are; only holes run code: each is a
//! call on the script builder whose trait bound picks the splice by the value's type. Calls are
//! spanned at the user's expression so a type error points at it.

use crate::parse::HoleSpec;
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use stevedore_core::render::{Chunk, Rendered, SpliceMode};

/// The block expression that builds the script described by `rendered`.
pub fn expand_rendered(krate: &TokenStream, rendered: &Rendered, holes: &[HoleSpec]) -> TokenStream {
    let b = Ident::new("__stevedore_builder", Span::mixed_site());
    let private = quote!(#krate::__private);
    let mut stmts = Vec::new();
    let heredoc_var = |i: usize| Ident::new(&format!("__stevedore_heredoc_{i}"), Span::mixed_site());
    for (i, h) in holes.iter().enumerate() {
        if h.heredoc {
            let var = heredoc_var(i);
            let expr = &h.expr;
            stmts.push(quote_spanned! {h.span=>
                let #var = #private::HeredocValue::new(&(#expr));
            });
        }
    }
    for chunk in &rendered.chunks {
        match chunk {
            Chunk::Text(t) => {
                let lit = Literal::byte_string(t);
                stmts.push(quote!(#b.push_static(#lit);));
            }
            Chunk::Hole { hole, mode } => {
                let h = &holes[hole.0];
                let expr = &h.expr;
                let call = match mode {
                    SpliceMode::WordPart => quote_spanned!(h.span=> #b.word_part(&(#expr));),
                    SpliceMode::Word => quote_spanned!(h.span=> #b.one_word(&(#expr));),
                    SpliceMode::Inline { indent } => quote_spanned! {h.span=>
                        #b.splice(&(#expr), #private::SpliceMode::Inline { indent: #indent });
                    },
                    SpliceMode::Lines { indent } => quote_spanned! {h.span=>
                        #b.splice(&(#expr), #private::SpliceMode::Lines { indent: #indent });
                    },
                    SpliceMode::Body { indent } => quote_spanned! {h.span=>
                        #b.splice(&(#expr), #private::SpliceMode::Body { indent: #indent });
                    },
                };
                stmts.push(call);
            }
            Chunk::HeredocDelimiter(h) => {
                let var = heredoc_var(h.0);
                stmts.push(quote!(#b.heredoc_delimiter(&#var);));
            }
            Chunk::HeredocBody(h) => {
                let var = heredoc_var(h.0);
                stmts.push(quote!(#b.heredoc_body(&#var);));
            }
        }
    }
    let inline_safe = rendered.inline_safe;
    let reindentable = rendered.reindentable;
    let new = if rendered.passthrough {
        quote!(#private::ScriptBuf::passthrough())
    } else {
        quote!(#private::ScriptBuf::new(#inline_safe, #reindentable))
    };
    quote! {
        {
            let mut #b = #new;
            #(#stmts)*
            #b.finish()
        }
    }
}

/// The fallback expansion after errors: the errors, then an empty script, so the surrounding code
/// still type-checks and one mistake does not cascade. The hole expressions are kept (unused)
/// so their variables do not look unused.
pub fn fallback(krate: &TokenStream, errors: TokenStream, holes: &[HoleSpec]) -> TokenStream {
    let keep = holes.iter().map(|h| {
        let expr = &h.expr;
        quote_spanned!(h.span=> let _ = &(#expr);)
    });
    quote! {
        {
            #errors
            #(#keep)*
            #krate::Script::new()
        }
    }
}
