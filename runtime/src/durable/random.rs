//! Randomness from the platform's cryptographic source (session names, id prefixes).

use wasm_bindgen::JsValue;

/// 16 bytes from `crypto.getRandomValues`.
pub(crate) fn random_bytes() -> [u8; 16] {
    let array = js_sys::Uint8Array::new_with_length(16);
    let crypto = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"));
    let filled = crypto.and_then(|crypto| {
        let get = js_sys::Reflect::get(&crypto, &JsValue::from_str("getRandomValues"))?;
        js_sys::Function::from(get).call1(&crypto, &array)
    });
    let mut bytes = [0u8; 16];
    array.copy_to(&mut bytes);
    if filled.is_err() {
        worker::console_error!("duract: crypto.getRandomValues is unavailable; Math.random used");
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes
}
